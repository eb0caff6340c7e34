/* Animus Quest 2 - VBlank wait, VRAM access and screen drawing. */
#include "hardware.h"

u8 terrain[MAP_W * MAP_H]; /* the current area as tile ids */
u8 need_redraw;            /* 1: redraw the whole screen at the next VBlank */

#define QUEUE_MAX 16
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

static void clear_map(void)
{
    volatile u8 *d = VRAM_MAP;
    u8 x, y;
    for (y = 0; y < 18; y++) {
        for (x = 0; x < 20; x++)
            d[x] = T_SPACE;
        d += 32;
    }
}

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
        d = VRAM_MAP + (15 << 5) + 1;
        for (x = 0; x < 12; x++)
            d[x] = st.name[x];
        put_str(1, 16, "HP");
        put_num(4, 16, st.hp);
        put_str(6, 16, "/30 GEMS");
        put(15, 16, '0' + st.gems);
    }
}

/* The five digits of the world number and the cursor under one of them, through the queue. */
void title_digits(void)
{
    static const u16 pow10[5] = {10000, 1000, 100, 10, 1};
    u16 n = st.world;
    u8 i, d;
    for (i = 0; i < 5; i++) {
        d = 0;
        while (n >= pow10[i]) {
            n -= pow10[i];
            d++;
        }
        queue_tile(10 + i, 9, '0' + d);
        queue_tile(10 + i, 10, i == st.digit ? '^' : ' ');
    }
    st.shown = st.world;
}

static void frame_rows(void)
{
    u8 x;
    for (x = 0; x < 20; x++) {
        put(x, 0, T_TREE);
        put(x, 17, T_TREE);
    }
}

static void draw_title(void)
{
    frame_rows();
    put_str(3, 3, "ANIMUS QUEST 2");
    put_str(2, 5, "- SEEDED WORLDS -");
    put_str(4, 9, "WORLD");
    put(6, 12, (u8)(T_PLAYER + FACE_RIGHT));
    put(9, 12, T_PERSON);
    put(12, 12, T_GUARDIAN);
    put(3, 12, T_DOOR);
    put(15, 12, T_ALTAR);
    put_str(4, 15, "PRESS START");
    title_digits();
    flush_queue();
}

static void draw_ending(void)
{
    frame_rows();
    put_str(6, 4, "THE END");
    put_str(3, 7, "QUESTS DONE:");
    put_num(16, 7, st.plays);
    put_str(3, 9, "WORLD");
    put_num(9, 9, st.world);
    put(9, 11, (u8)(T_PLAYER + FACE_DOWN));
    put_str(4, 14, "PRESS START");
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
