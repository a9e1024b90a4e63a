// PLACEHOLDER: the CLI is written in src/cli/.
#include <upres/upres.h>
#include <cstdio>
int main() { std::printf("upres %s\n", upres_version_string()); return 0; }
