/* Animus Quest - main loop, input, overworld and dialogs. */
#include "hardware.h"

volatile __at(0xC000) State st;

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

/* Copy an area into terrain[], removing what the player already cleared. */
void load_area(u8 id)
{
    const u8 *s = area_maps[id];
    u8 *d = terrain;
    u16 i;
    u8 t;
    st.map = id;
    for (i = 0; i < MAP_W * MAP_H; i++) {
        t = *s++;
        if ((t == T_GATE && (st.flags & F_OPENED_GATE)) ||
            (t == T_GUARDIAN && (st.flags & F_BEAT_GUARDIAN)))
            t = T_FLOOR;
        *d++ = t;
    }
    if (id == AREA_VILLAGE)
        st.flags |= F_LEFT_HOUSE;
    else if (id == AREA_CAVE)
        st.flags |= F_REACHED_CAVE;
    need_redraw = 1;
}

void open_dialog(u8 id)
{
    st.mode = MODE_DIALOG;
    st.dlg = id;
    st.page = 0;
    st.dlg_count = dlg_pages[id];
    text_page();
    need_redraw = 1;
}

static void new_game(void)
{
    st.flags = 0;
    st.inv = 0;
    st.php = PLAYER_MAX_HP;
    st.ghp = GUARDIAN_MAX_HP;
    st.cursor = 0;
    st.dlg = 0;
    st.page = 0;
    st.dlg_count = 0;
    st.steps = 0;
    st.battle_msg = 0;
    text_clear();
    load_area(AREA_HOUSE);
    st.px = START_X;
    st.py = START_Y;
    st.facing = FACE_DOWN;
    st.mode = MODE_OVERWORLD;
    need_redraw = 1;
}

static void finish_game(void)
{
    st.flags |= F_TALKED_ELDER | F_FINISHED;
    st.plays++;
    st.mode = MODE_ENDING;
    need_redraw = 1;
}

static void close_dialog(void)
{
    u8 id = st.dlg;
    st.dlg = 0;
    st.page = 0;
    st.dlg_count = 0;
    text_clear();
    st.mode = MODE_OVERWORLD;
    need_redraw = 1;
    if (id == DLG_GUARDIAN)
        battle_start();
    else if (id == DLG_ELDER_END)
        finish_game();
}

static void dialog_update(u8 pressed)
{
    if (!(pressed & J_A))
        return;
    st.page++;
    if (st.page < st.dlg_count) {
        text_page();
        need_redraw = 1;
    } else {
        close_dialog();
    }
}

static void replace_tile(u8 from, u8 to)
{
    u8 *p = terrain;
    u16 i;
    for (i = 0; i < MAP_W * MAP_H; i++, p++)
        if (*p == from)
            *p = to;
}

static void run_script(u8 sc)
{
    u8 d;
    switch (sc) {
    case SC_MOTHER:    d = DLG_MOTHER; break;
    case SC_VILLAGER1: d = DLG_VILLAGER1; break;
    case SC_VILLAGER2: d = DLG_VILLAGER2; break;
    case SC_SIGN:      d = DLG_SIGN; break;
    case SC_WELL_MUD:  d = DLG_WELL_MUD; break;
    case SC_ALTAR:     d = DLG_ALTAR; break;
    case SC_GUARDIAN:  d = DLG_GUARDIAN; break;
    case SC_ELDER:
        if (st.inv & INV_BADGE) {
            d = DLG_ELDER_END;
        } else if (!(st.flags & F_TALKED_ELDER)) {
            st.flags |= F_TALKED_ELDER;
            d = DLG_ELDER_HINT;
        } else {
            d = DLG_ELDER_AGAIN;
        }
        break;
    case SC_WELL_KEY:
        if (!(st.flags & F_FOUND_KEY)) {
            st.flags |= F_FOUND_KEY;
            st.inv |= INV_KEY;
            d = DLG_WELL_KEY;
        } else {
            d = DLG_WELL_EMPTY;
        }
        break;
    case SC_GATE:
        if (st.inv & INV_KEY) {
            st.flags |= F_OPENED_GATE;
            replace_tile(T_GATE, T_FLOOR);
            d = DLG_GATE_OPENS;
        } else {
            d = DLG_GATE_LOCKED;
        }
        break;
    case SC_PRIESTESS:
        if (!(st.inv & INV_BADGE)) {
            st.flags |= F_GOT_BADGE;
            st.inv |= INV_BADGE;
            d = DLG_PRIESTESS_GIVE;
        } else {
            d = DLG_PRIESTESS_AGAIN;
        }
        break;
    default:
        return;
    }
    open_dialog(d);
}

static const signed char dx_of[4] = {0, 0, -1, 1};
static const signed char dy_of[4] = {1, -1, 0, 0};

static void interact(void)
{
    u8 tx = st.px + dx_of[st.facing];
    u8 ty = st.py + dy_of[st.facing];
    u8 i, t;
    if (tx >= MAP_W || ty >= MAP_H)
        return;
    t = terrain[ty * MAP_W + tx];
    if (t == T_FLOOR || t == T_DOOR)
        return;
    for (i = 0; i < TALK_COUNT; i++) {
        if (talks[i][0] == st.map && talks[i][1] == tx && talks[i][2] == ty) {
            run_script(talks[i][3]);
            return;
        }
    }
}

static void use_door(void)
{
    u8 i;
    for (i = 0; i < DOOR_COUNT; i++) {
        if (doors[i][0] == st.map && doors[i][1] == st.px && doors[i][2] == st.py) {
            load_area(doors[i][3]);
            st.px = doors[i][4];
            st.py = doors[i][5];
            st.facing = doors[i][6];
            need_redraw = 1;
            return;
        }
    }
}

static void overworld_update(u8 pressed)
{
    u8 f, nx, ny, t;
    if (pressed & J_A) {
        interact();
        return;
    }
    if (pressed & J_DOWN)
        f = FACE_DOWN;
    else if (pressed & J_UP)
        f = FACE_UP;
    else if (pressed & J_LEFT)
        f = FACE_LEFT;
    else if (pressed & J_RIGHT)
        f = FACE_RIGHT;
    else
        return;
    st.facing = f;
    nx = st.px + dx_of[f];
    ny = st.py + dy_of[f];
    t = (nx < MAP_W && ny < MAP_H) ? terrain[ny * MAP_W + nx] : T_WALL;
    if (t != T_FLOOR && t != T_DOOR) { /* blocked: just turn */
        queue_tile(st.px, st.py, T_PLAYER + f);
        return;
    }
    queue_tile(st.px, st.py, terrain[st.py * MAP_W + st.px]);
    st.px = nx;
    st.py = ny;
    st.steps++;
    if (t == T_DOOR)
        use_door();
    else
        queue_tile(nx, ny, T_PLAYER + f);
}

static void update(void)
{
    u8 pressed = st.joy_new;
    if (!pressed)
        return;
    switch (st.mode) {
    case MODE_TITLE:
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

    st.magic = 0x41;
    st.version = 1;
    st.mode = MODE_TITLE;
    text_clear();
    draw_screen();
    st.boot_keys |= sample_buttons();
    lcd_on();

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
