/* The stb implementations, compiled once with hidden visibility (nothing of stb is exported). */
#include <stdlib.h>

#define STBI_NO_STDIO_OVERRIDE
/* Only the formats upres documents (upres.h): stb's PNM and Softimage PIC readers stay out. */
#define STBI_NO_PNM
#define STBI_NO_PIC
/* Every buffer stb_image allocates starts zeroed: on some malformed files stb 2.27 leaves parts of
   the image it returns unwritten, which would otherwise hand back old heap contents as pixels.
   (Locals are zeroed by the compiler: src/io/CMakeLists.txt.) */
#define STBI_MALLOC(size) calloc(1, size)
#define STBI_REALLOC(pointer, size) realloc(pointer, size)
#define STBI_FREE(pointer) free(pointer)
#define STB_IMAGE_IMPLEMENTATION
#define STBI_FAILURE_USERMSG
#include <stb_image.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
