/* Animus Quest 2 - main loop, input, title (world picker), dialogs, new game and ending. */
#include "hardware.h"

volatile __at(0xC000) State st;

#define HOME_X 9
#define HOME_Y 5

/* Buttons held right now (used only during start-up). */
static u8 sample_buttons(void)
{
    u8 b;
    P1 = 0x10;
    b = P1;
    b = P1;
    P1 = 0x30;
    return (u8)(~b) & 0x0F;
}

/* Read P1 once per frame and compute the press edges. */
static void read_joypad(void)
{
    u8 d, b;
    P1 = 0x20; /* select the d-pad */
    d = P1;
    d = P1;
    P1 = 0x10; /* select the buttons */
    b = P1;
    b = P1;
    P1 = 0x30;
    st.joy_prev = st.joy_cur;
    st.joy_cur = (u8)(((~d) & 0x0F) << 4) | ((~b) & 0x0F);
    st.joy_new = st.joy_cur & (u8)~st.joy_prev;
}

void new_game(void)
{
    u8 i;
    generate(st.world);
    for (i = 0; i < 3; i++)
        st.flags[i] = 0;
    st.items = 0;
    st.gems = 0;
    st.max_hp = MAX_HP;
    st.hp = MAX_HP;
    st.enemy_hp = 0;
    st.enemy = 0;
    st.cursor = 0;
    st.dlg_open = 0;
    st.page = 0;
    st.page_count = 0;
    st.chapter = 1;
    st.steps = 0;
    st.dlg = 0;
    st.after = 0;
    st.battle_msg = 0;
    text_clear();
    load_area(HOME);
    st.px = HOME_X;
    st.py = HOME_Y;
    st.facing = FACE_DOWN;
    st.mode = MODE_OVERWORLD;
    need_redraw = 1;
}

/* At 0 HP: wake up in TOWN in front of the innkeeper with full HP. */
void faint(void)
{
    Feat *f = FEATS;
    u8 i;
    st.hp = st.max_hp;
    st.enemy = 0;
    st.enemy_hp = 0;
    load_area(WHEAD->town);
    for (i = 0; i < WHEAD->nfeat; i++, f++)
        if (f->role == R_INN) {
            st.px = f->x;
            st.py = f->y + 1;
        }
    st.facing = FACE_UP;
    open_dialog(D_FAINTED, 0);
}

static void close_dialog(void)
{
    u8 after = st.after;
    st.after = 0;
    st.dlg = 0;
    st.dlg_open = 0;
    st.page = 0;
    st.page_count = 0;
    text_clear();
    st.mode = MODE_OVERWORLD;
    need_redraw = 1;
    if (after == 1) {
        battle_start();
    } else if (after == 2) {
        set_flag(M_FINISHED);
        st.plays++;
        st.mode = MODE_ENDING;
    }
}

static void dialog_update(u8 pressed)
{
    if (!(pressed & J_A))
        return;
    st.page++;
    if (st.page < st.page_count) {
        show_page();
        need_redraw = 1;
    } else {
        close_dialog();
    }
}

/* LEFT/RIGHT pick a digit, UP/DOWN change it (0-9, wrapping); above 65535 is clamped. */
static void title_update(u8 pressed)
{
    static const u16 pow10[5] = {10000, 1000, 100, 10, 1};
    unsigned long v = 0;
    u8 dg[5], i;
    u16 n = st.world;
    if (pressed & J_START) {
        new_game();
        return;
    }
    if (pressed & J_LEFT) {
        st.digit = st.digit ? st.digit - 1 : 4;
    } else if (pressed & J_RIGHT) {
        st.digit = st.digit < 4 ? st.digit + 1 : 0;
    } else if (pressed & (J_UP | J_DOWN)) {
        for (i = 0; i < 5; i++) {
            dg[i] = 0;
            while (n >= pow10[i]) {
                n -= pow10[i];
                dg[i]++;
            }
        }
        i = st.digit;
        if (pressed & J_UP)
            dg[i] = dg[i] == 9 ? 0 : dg[i] + 1;
        else
            dg[i] = dg[i] == 0 ? 9 : dg[i] - 1;
        for (i = 0; i < 5; i++)
            v += (unsigned long)dg[i] * pow10[i];
        st.world = v > 65535UL ? 65535 : (u16)v;
    } else {
        return;
    }
    title_digits();
}

static void update(void)
{
    u8 pressed = st.joy_new;
    if (st.mode == MODE_TITLE && st.world != st.shown)
        title_digits(); /* the harness wrote a world number */
    if (!pressed)
        return;
    switch (st.mode) {
    case MODE_TITLE:
        title_update(pressed);
        break;
    case MODE_ENDING:
        if (pressed & J_START)
            new_game();
        break;
    case MODE_OVERWORLD:
        overworld_update(pressed);
        break;
    case MODE_DIALOG:
        dialog_update(pressed);
        break;
    case MODE_BATTLE:
        battle_update(pressed);
        break;
    }
}

void main(void)
{
    st.boot_keys |= sample_buttons();
    IE = 0x01; /* VBlank only */
    IF = 0;
    __asm__("ei");
    if (LCDC & 0x80)
        wait_vblank();
    lcd_off();
    BGP = 0xE4;
    OBP0 = 0xE4;
    SCX = 0;
    SCY = 0;
    WY = 0;
    WX = 0;
    STAT = 0;
    st.boot_keys |= sample_buttons();
    load_tiles();
    st.boot_keys |= sample_buttons();
    count_fixed_pages(); /* before any world: names print as spaces, which no fixed dialog uses */
    st.version = 2;
    st.mode = MODE_TITLE;
    text_clear();
    draw_screen();
    st.boot_keys |= sample_buttons();
    lcd_on();
    st.magic = 0x57; /* last: the title is ready for a world write */

    for (;;) {
        wait_vblank();
        if (need_redraw) {
            lcd_off();
            draw_screen();
            lcd_on();
            need_redraw = 0;
        } else {
            flush_queue();
        }
        read_joypad();
        if (st.frames == 0) {
            /* First frame: a START pressed (and maybe already released)
               while the game was starting up still counts as a press. */
            st.boot_keys |= sample_buttons();
            st.joy_new |= st.boot_keys & J_START;
        }
        st.frames++;
        update();
    }
}
