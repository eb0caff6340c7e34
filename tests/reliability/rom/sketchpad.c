/* Sketchpad: a tiny cartridge for Animus's reliability tests, unlike Animus Quest in kind: an MBC1 cartridge
 * with 8 KiB of battery-backed RAM, where the picture lives. No game, no profile, no PyBoy game wrapper.
 *
 * The d-pad moves a cursor over a 20x18 canvas of background tiles; A paints the cell under it with the brush,
 * B takes the next of four brushes, START clears the canvas and SELECT hides or shows the cursor. Every change is
 * a change of the visible tiles, so the generic profile sees new screens as the picture grows.
 */

#define REG(addr) (*(volatile unsigned char *)(addr))
#define P1 REG(0xFF00)
#define IF_ REG(0xFF0F)
#define LCDC REG(0xFF40)
#define SCY REG(0xFF42)
#define SCX REG(0xFF43)
#define LY REG(0xFF44)
#define BGP REG(0xFF47)
#define IE_ REG(0xFFFF)

#define MBC1_RAM_ENABLE REG(0x0000) /* 0x0A: cartridge RAM on */
#define MBC1_RAM_BANK REG(0x4000)
#define SRAM ((volatile unsigned char *)0xA000)
#define BG_MAP ((volatile unsigned char *)0x9800)
#define TILE_DATA ((volatile unsigned char *)0x8000)

#define W 20
#define H 18
/* Cartridge RAM layout: the canvas, then the cursor, the brush, a mark that the RAM was set up, and a counter. */
#define CANVAS SRAM
#define CUR_X SRAM[0x180]
#define CUR_Y SRAM[0x181]
#define BRUSH SRAM[0x182]
#define HIDDEN SRAM[0x183]
#define MARK SRAM[0x184]
#define STROKES SRAM[0x185]

#define BLANK 0
#define CURSOR 1
#define FIRST_BRUSH 2
#define LAST_BRUSH 5

/* Tiles, 2 bits per pixel (low plane byte, high plane byte per row). */
static const unsigned char tiles[6 * 16] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                                   /* blank */
    0xFF, 0xFF, 0x81, 0x81, 0x81, 0x81, 0x99, 0x99, 0x99, 0x99, 0x81, 0x81, 0x81, 0x81, 0xFF, 0xFF, /* cursor */
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, /* solid */
    0xAA, 0x00, 0x55, 0x00, 0xAA, 0x00, 0x55, 0x00, 0xAA, 0x00, 0x55, 0x00, 0xAA, 0x00, 0x55, 0x00, /* checks */
    0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0x00, 0x00, 0x00, /* stripes */
    0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, /* grey */
};

static unsigned char last_keys;

/* Buttons held now, 1 = pressed: bit 7 down, 6 up, 5 left, 4 right, 3 start, 2 select, 1 B, 0 A. */
static unsigned char keys(void)
{
    unsigned char pad, buttons;
    P1 = 0x20;
    pad = P1;
    pad = P1;
    P1 = 0x10;
    buttons = P1;
    buttons = P1;
    P1 = 0x30;
    return (unsigned char)~(((pad & 0x0F) << 4) | (buttons & 0x0F));
}

static unsigned int at(unsigned char x, unsigned char y)
{
    return (unsigned int)y * W + x;
}

static void show(unsigned char x, unsigned char y)
{
    unsigned char tile = CANVAS[at(x, y)];
    if (x == CUR_X && y == CUR_Y && !HIDDEN)
        tile = CURSOR;
    BG_MAP[(unsigned int)y * 32 + x] = tile;
}

static void lcd_off(void)
{
    while (LY < 144) {
    }
    LCDC = 0;
}

static void lcd_on(void)
{
    LCDC = 0x91; /* LCD on, background on, tiles at 0x8000, map at 0x9800 */
}

static void redraw(void)
{
    unsigned char x, y;
    for (y = 0; y < H; y++)
        for (x = 0; x < W; x++)
            show(x, y);
}

static void setup(void)
{
    unsigned int i;
    MBC1_RAM_ENABLE = 0x0A;
    MBC1_RAM_BANK = 0;
    if (MARK != 0x5A) {
        for (i = 0; i < W * H; i++)
            CANVAS[i] = BLANK;
        CUR_X = W / 2;
        CUR_Y = H / 2;
        BRUSH = FIRST_BRUSH;
        HIDDEN = 0;
        STROKES = 0;
        MARK = 0x5A;
    }
    for (i = 0; i < sizeof tiles; i++)
        TILE_DATA[i] = tiles[i];
    for (i = 0; i < 32 * 32; i++)
        BG_MAP[i] = BLANK;
    redraw();
}

static void act(unsigned char pressed)
{
    unsigned char x = CUR_X, y = CUR_Y;
    unsigned int i;
    if ((pressed & 0x80) && y < H - 1)
        CUR_Y = y + 1;
    if ((pressed & 0x40) && y > 0)
        CUR_Y = y - 1;
    if ((pressed & 0x20) && x > 0)
        CUR_X = x - 1;
    if ((pressed & 0x10) && x < W - 1)
        CUR_X = x + 1;
    if (pressed & 0x01) {
        CANVAS[at(CUR_X, CUR_Y)] = BRUSH;
        STROKES = STROKES + 1;
    }
    if (pressed & 0x02)
        BRUSH = BRUSH == LAST_BRUSH ? FIRST_BRUSH : BRUSH + 1;
    if (pressed & 0x04)
        HIDDEN = !HIDDEN;
    if (pressed & 0x08) {
        for (i = 0; i < W * H; i++)
            CANVAS[i] = BLANK;
        lcd_off();
        redraw();
        lcd_on();
        return;
    }
    show(x, y);
    show(CUR_X, CUR_Y);
}

void main(void)
{
    unsigned char now;
    lcd_off();
    setup();
    BGP = 0xE4;
    SCX = 0;
    SCY = 0;
    lcd_on();
    IF_ = 0;
    IE_ = 0x01; /* VBlank only: each frame's work starts when it ends the halt */
    __asm__("ei");
    for (;;) {
        __asm__("halt");
        __asm__("nop");
        now = keys();
        if (now & ~last_keys)
            act(now & ~last_keys);
        last_keys = now;
    }
}
