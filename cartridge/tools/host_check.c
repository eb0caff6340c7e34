/* Build-machine harness for the world generator (debugging only; not part of the ROM):
   cc -DHOST -I. -I$TMP tools/host_check.c gen.c place.c text.c vocab_std.c -o /tmp/hc && /tmp/hc FIRST LAST */
#include <stdio.h>
#include <stdlib.h>
#include "hardware.h"

u8 host_ram[0x1000];
u8 need_redraw;

int main(int argc, char **argv)
{
    long first = argc > 1 ? atol(argv[1]) : 0, last = argc > 2 ? atol(argv[2]) : first, w;
    int max_tries = 0, min_mazes = 9, max_feat = 0, min_loops = 9;
    count_fixed_pages();
    for (w = first; w <= last; w++) {
        generate((u16)w);
        if (first == last) {
            fwrite(host_ram + 0x80, 1, 0xCAF0 - 0xC080, stdout);
        }
        if (WHEAD->attempts > max_tries) max_tries = WHEAD->attempts;
        if (WHEAD->mazes < min_mazes) min_mazes = WHEAD->mazes;
        if (WHEAD->nfeat > max_feat) max_feat = WHEAD->nfeat;
        if (WHEAD->loops < min_loops) min_loops = WHEAD->loops;
    }
    if (first != last)
        printf("max attempts %d, min mazes %d, max features %d, min loops %d\n", max_tries, min_mazes, max_feat,
               min_loops);
    return 0;
}
