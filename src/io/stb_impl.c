/* The stb implementations, compiled once with hidden visibility (nothing of stb is exported). */
#include <stdlib.h>

#define STBI_NO_STDIO_OVERRIDE
/* Only the formats upres documents (upres.h): stb's PNM and Softimage PIC readers stay out. */
#define STBI_NO_PNM
#define STBI_NO_PIC
/* stb_image allocates through stb_guard.cpp: every buffer starts zeroed (on some malformed files
   stb 2.27 leaves parts of the image it returns unwritten, which would otherwise hand back old heap
   contents as pixels; locals are zeroed by the compiler, src/io/CMakeLists.txt), and no buffer may
   exceed the ceiling set for the decode in progress (a decompression bomb). */
void* io_stb_malloc(size_t size);
void* io_stb_realloc(void* pointer, size_t old_size, size_t size);
#define STBI_MALLOC(size) io_stb_malloc(size)
#define STBI_REALLOC_SIZED(pointer, old_size, size) io_stb_realloc(pointer, old_size, size)
#define STBI_FREE(pointer) free(pointer)
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
