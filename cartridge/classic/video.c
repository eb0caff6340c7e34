/* Animus Quest - VBlank wait, VRAM access and screen drawing. */
#include "hardware.h"

u8 terrain[MAP_W * MAP_H]; /* current area, with gate/guardian removed when done */
u8 need_redraw;            /* 1: redraw the whole screen at the next VBlank */

#define QUEUE_MAX 8
static u16 q_addr[QUEUE_MAX];
static u8 q_tile[QUEUE_MAX];
static u8 q_len;

/* Sleep until the VBlank interrupt (the handler at 0x40 is a bare reti). */
void wait_vblank(void)
{
    __asm__("halt");
    __asm__("nop");
}

/* Only call right after wait_vblank() returned (we are in VBlank). */
void lcd_off(void)
{
    LCDC = LCDC & 0x7F;
}

void lcd_on(void)
{
    LCDC = LCDC_ON;
}

/* LCD must be off. */
void load_tiles(void)
{
    volatile u8 *d;
    const u8 *s;
    u16 i;

    d = VRAM_TILES + 0x20 * 16;
    s = font_tiles;
    for (i = 0; i < FONT_TILE_BYTES; i++)
        *d++ = *s++;
    d = VRAM_TILES + 0x80 * 16;
    s = map_tiles;
    for (i = 0; i < MAP_TILE_BYTES; i++)
        *d++ = *s++;
}

/* LCD must be off: fill the visible 20x18 part of the map with spaces. */
void clear_map(void)
{
    volatile u8 *d = VRAM_MAP;
    u8 x, y;
    for (y = 0; y < 18; y++) {
        for (x = 0; x < 20; x++)
            d[x] = T_SPACE;
        d += 32;
    }
}

/* Direct VRAM writes: LCD must be off. */
void put(u8 x, u8 y, u8 t)
{
    VRAM_MAP[((u16)y << 5) + x] = t;
}

void put_str(u8 x, u8 y, const char *s)
{
    volatile u8 *d = VRAM_MAP + ((u16)y << 5) + x;
    while (*s)
        *d++ = *s++;
}

/* Unsigned decimal, no leading zeros. */
void put_num(u8 x, u8 y, u16 n)
{
    static const u16 pow10[5] = {10000, 1000, 100, 10, 1};
    u8 i, d, started = 0;
    for (i = 0; i < 5; i++) {
        d = 0;
        while (n >= pow10[i]) {
            n -= pow10[i];
            d++;
        }
        if (d || started || i == 4) {
            put(x++, y, '0' + d);
            started = 1;
        }
    }
}

/* Deferred single-tile write, flushed at the next VBlank. */
void queue_tile(u8 x, u8 y, u8 t)
{
    if (q_len >= QUEUE_MAX) {
        need_redraw = 1;
        return;
    }
    q_addr[q_len] = 0x9800 + ((u16)y << 5) + x;
    q_tile[q_len] = t;
    q_len++;
}

void flush_queue(void)
{
    u8 i;
    for (i = 0; i < q_len; i++)
        *(volatile u8 *)q_addr[i] = q_tile[i];
    q_len = 0;
}

void draw_box(void)
{
    u8 x;
    put(0, 14, T_BOX_TL);
    put(19, 14, T_BOX_TR);
    put(0, 17, T_BOX_BL);
    put(19, 17, T_BOX_BR);
    for (x = 1; x < 19; x++) {
        put(x, 14, T_BOX_H);
        put(x, 17, T_BOX_H);
    }
    put(0, 15, T_BOX_V);
    put(19, 15, T_BOX_V);
    put(0, 16, T_BOX_V);
    put(19, 16, T_BOX_V);
}

static void draw_world(void)
{
    volatile u8 *d;
    const u8 *s = terrain;
    u8 x, y;
    for (y = 0; y < MAP_H; y++) {
        d = VRAM_MAP + ((u16)y << 5);
        for (x = 0; x < MAP_W; x++)
            *d++ = *s++;
    }
    put(st.px, st.py, T_PLAYER + st.facing);
    draw_box();
    if (st.mode == MODE_DIALOG) {
        d = VRAM_MAP + (15 << 5) + 1;
        for (x = 0; x < 18; x++)
            d[x] = st.text[x];
        d = VRAM_MAP + (16 << 5) + 1;
        for (x = 0; x < 18; x++)
            d[x] = st.text[18 + x];
    } else {
        put_str(1, 15, area_names[st.map]);
        put_str(1, 16, "ITEMS:");
        x = 8;
        if (st.inv & INV_KEY) {
            put_str(x, 16, "KEY");
            x = 12;
        }
        if (st.inv & INV_BADGE)
            put_str(x, 16, "BADGE");
        if (!(st.inv & (INV_KEY | INV_BADGE)))
            put_str(x, 16, "NONE");
    }
}

static void draw_title(void)
{
    u8 x;
    for (x = 0; x < 20; x++) {
        put(x, 0, T_TREE);
        put(x, 17, T_TREE);
    }
    put_str(4, 4, "ANIMUS QUEST");
    put_str(2, 6, "- A SMALL TALE -");
    put(8, 9, (u8)(T_PLAYER + FACE_RIGHT));
    put(11, 9, T_NPC);
    put(14, 9, T_GUARDIAN);
    put(5, 9, T_DOOR);
    put_str(4, 13, "PRESS START");
}

static void draw_ending(void)
{
    u8 x;
    for (x = 0; x < 20; x++) {
        put(x, 0, T_TREE);
        put(x, 17, T_TREE);
    }
    put_str(6, 4, "THE END");
    put_str(3, 7, "QUESTS DONE:");
    put_num(16, 7, st.plays);
    put(9, 10, (u8)(T_PLAYER + FACE_DOWN));
    put_str(4, 13, "PRESS START");
}

/* Full redraw; call with the LCD off. */
void draw_screen(void)
{
    q_len = 0;
    clear_map();
    switch (st.mode) {
    case MODE_TITLE:
        draw_title();
        break;
    case MODE_OVERWORLD:
    case MODE_DIALOG:
        draw_world();
        break;
    case MODE_BATTLE:
        draw_battle();
        break;
    default:
        draw_ending();
        break;
    }
}
