/* Animus Quest 2 - guardian battles (mode 3).  Fixed damage; the player's HP carries over. */
#include "hardware.h"
#include "vocab.h"

static const u8 foe_hp[3] = {30, 40, 50};
static const u8 foe_dmg[3] = {5, 6, 7};

void battle_start(void)
{
    st.enemy = FEATS[st.foe_feat].role - R_G1 + 1;
    st.enemy_hp = foe_hp[st.enemy - 1];
    st.mode = MODE_BATTLE;
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

static void leave(void)
{
    st.enemy = 0;
    st.enemy_hp = 0;
    st.mode = MODE_OVERWORLD;
    need_redraw = 1;
}

static void win(void)
{
    static const u8 beat[3] = {M_BEAT_G1, M_BEAT_G2, M_BEAT_G3};
    u8 g = st.enemy - 1;
    set_flag(beat[g]);
    st.gems++;
    if (g == 0)
        st.items |= I_SILVER;
    leave();
    load_area(st.area); /* the guardian is gone now */
    open_dialog(D_WIN + g, st.foe_feat);
}

void battle_update(u8 pressed)
{
    u8 dmg;
    if (pressed & J_UP) {
        move_cursor(0);
    } else if (pressed & J_DOWN) {
        move_cursor(1);
    } else if (pressed & J_A) {
        if (st.cursor == 1) { /* RUN: back in front of the guardian */
            leave();
            return;
        }
        dmg = (st.items & I_SWORD) ? 10 : 4;
        st.enemy_hp = st.enemy_hp > dmg ? st.enemy_hp - dmg : 0;
        if (!st.enemy_hp) {
            win();
            return;
        }
        dmg = foe_dmg[st.enemy - 1];
        st.hp = st.hp > dmg ? st.hp - dmg : 0;
        if (!st.hp) {
            faint();
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
    put_str(1, 2, v_npc[S_GUARDIAN]);
    put(12, 2, '0' + st.enemy);
    put_str(1, 3, "HP");
    put_num(4, 3, st.enemy_hp);
    put(15, 3, T_GUARDIAN);
    put(4, 8, (u8)(T_PLAYER + FACE_UP));
    put_str(10, 7, "YOU");
    put_str(10, 8, "HP");
    put_num(13, 8, st.hp);
    if (st.battle_msg) {
        put_str(1, 11, "YOU HIT:");
        put_num(10, 11, (st.items & I_SWORD) ? 10 : 4);
        put_str(1, 12, "IT HITS:");
        put_num(10, 12, foe_dmg[st.enemy - 1]);
    } else {
        put_str(1, 11, "A BATTLE BEGINS!");
    }
    draw_box();
    put(1, 15, st.cursor == 0 ? '>' : ' ');
    put(1, 16, st.cursor == 1 ? '>' : ' ');
    put_str(2, 15, "FIGHT");
    put_str(2, 16, "RUN");
}
