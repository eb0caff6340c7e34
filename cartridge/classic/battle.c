/* Animus Quest - the guardian battle (mode 3).  Fixed damage, no randomness. */
#include "hardware.h"

void battle_start(void)
{
    st.mode = MODE_BATTLE;
    st.php = PLAYER_MAX_HP;
    st.ghp = GUARDIAN_MAX_HP;
    st.cursor = 0;
    st.battle_msg = 0;
    text_clear();
    need_redraw = 1;
}

static void move_cursor(u8 c)
{
    if (st.cursor == c)
        return;
    st.cursor = c;
    queue_tile(1, 15, c == 0 ? '>' : ' ');
    queue_tile(1, 16, c == 1 ? '>' : ' ');
}

static void win(void)
{
    st.flags |= F_BEAT_GUARDIAN;
    st.mode = MODE_OVERWORLD;
    load_area(AREA_CAVE); /* the guardian is gone now */
    open_dialog(DLG_GUARDIAN_FADES);
}

static void lose(void)
{
    st.php = PLAYER_MAX_HP;
    st.ghp = GUARDIAN_MAX_HP;
    load_area(AREA_VILLAGE);
    st.px = doors[0][4]; /* where the house door puts you */
    st.py = doors[0][5];
    st.facing = FACE_DOWN;
    open_dialog(DLG_BLACKOUT);
}

void battle_update(u8 pressed)
{
    if (pressed & J_UP) {
        move_cursor(0);
    } else if (pressed & J_DOWN) {
        move_cursor(1);
    } else if (pressed & J_A) {
        if (st.cursor == 1) { /* RUN: back to the cave, guardian stays */
            st.mode = MODE_OVERWORLD;
            need_redraw = 1;
            return;
        }
        /* FIGHT */
        if (st.ghp > PLAYER_DAMAGE)
            st.ghp -= PLAYER_DAMAGE;
        else
            st.ghp = 0;
        if (st.ghp == 0) {
            win();
            return;
        }
        if (st.php > GUARDIAN_DAMAGE)
            st.php -= GUARDIAN_DAMAGE;
        else
            st.php = 0;
        if (st.php == 0) {
            lose();
            return;
        }
        st.battle_msg = 1;
        need_redraw = 1;
    }
}

/* LCD off; the map was cleared to spaces. */
void draw_battle(void)
{
    u8 x;
    for (x = 0; x < 20; x++)
        put(x, 0, T_ROCK);
    put_str(1, 2, "GUARDIAN");
    put_str(1, 3, "HP");
    put_num(4, 3, st.ghp);
    put(15, 3, T_GUARDIAN);

    put(4, 8, (u8)(T_PLAYER + FACE_UP));
    put_str(10, 7, "YOU");
    put_str(10, 8, "HP");
    put_num(13, 8, st.php);

    if (st.battle_msg == 0) {
        put_str(1, 11, "THE GUARDIAN");
        put_str(1, 12, "BLOCKS THE WAY!");
    } else {
        put_str(1, 11, "YOU HIT IT: -10");
        put_str(1, 12, "IT HITS YOU: -4");
    }

    draw_box();
    put(1, 15, st.cursor == 0 ? '>' : ' ');
    put(1, 16, st.cursor == 1 ? '>' : ' ');
    put_str(2, 15, "FIGHT");
    put_str(2, 16, "RUN");
}
