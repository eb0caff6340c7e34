/* Animus Quest 2 - the overworld: building an area from the world block, walking, doors, searching, talking. */
#include "hardware.h"

#define NONE 0xFF

static const s8 dx_of[4] = {0, 0, -1, 1};
static const s8 dy_of[4] = {1, -1, 0, 0};
static const u8 border_of[4] = {T_WALL, T_TREE, T_ROCK, T_WALL};
static const u8 pillar_of[4] = {T_WALL, T_TREE, T_ROCK, T_WATER};

u8 flag(u8 bit)
{
    return st.flags[bit >> 3] & bit_of[bit & 7];
}

void set_flag(u8 bit)
{
    st.flags[bit >> 3] |= bit_of[bit & 7];
}

static u8 door_tile(u8 type)
{
    if (type >= 2 && type <= 4)
        return flag(type == 2 ? M_OPENED_BRONZE : type == 3 ? M_OPENED_SILVER : M_OPENED_GOLD) ? T_DOOR : T_GATE;
    if (type == 5)
        return flag(M_PULLED_LEVER) ? T_DOOR : T_SEALED;
    return T_DOOR;
}

static u8 guardian_gone(u8 role)
{
    return flag(role == R_G1 ? M_BEAT_G1 : role == R_G2 ? M_BEAT_G2 : M_BEAT_G3);
}

void load_area(u8 id)
{
    AreaRec *a = &AREAS[id];
    Feat *f = FEATS;
    u8 *d = terrain;
    const u8 *bits;
    u8 x, y, m, b, i, border = border_of[a->kind], pillar = a->maze ? border : pillar_of[a->kind];
    st.area = id;
    for (x = 0; x < MAP_W; x++)
        *d++ = border;
    bits = a->bits;
    for (y = 1; y < MAP_H - 1; y++) {
        *d++ = border;
        m = 1;
        b = *bits++;
        for (x = 1; x < MAP_W - 1; x++) {
            *d++ = (b & m) ? pillar : T_FLOOR;
            m <<= 1;
            if (!m) {
                m = 1;
                b = *bits++;
            }
        }
        *d++ = border;
    }
    for (x = 0; x < MAP_W; x++)
        *d++ = border;
    if (a->dtype[0])
        terrain[13 * MAP_W + a->dpos[0]] = door_tile(a->dtype[0]);
    if (a->dtype[1])
        terrain[a->dpos[1]] = door_tile(a->dtype[1]);
    if (a->dtype[2])
        terrain[a->dpos[2] * MAP_W] = door_tile(a->dtype[2]);
    if (a->dtype[3])
        terrain[a->dpos[3] * MAP_W + 19] = door_tile(a->dtype[3]);
    if (id == WHEAD->town)
        terrain[10] = T_DOOR; /* the house door to HOME */
    for (i = WHEAD->nfeat; i; i--, f++)
        if (f->area == id && !(f->tile == T_GUARDIAN && guardian_gone(f->role)))
            terrain[f->y * MAP_W + f->x] = f->tile;
    for (i = 0; i < 12; i++)
        st.name[i] = a->name[i];
    st.region = a->region;
    if (id == WHEAD->town)
        set_flag(M_LEFT_HOME);
    if (a->region == 1)
        set_flag(M_ENTERED_R1);
    else if (a->region == 2)
        set_flag(M_ENTERED_R2);
    else if (a->region == 3)
        set_flag(M_ENTERED_R3);
    if (a->sealed)
        set_flag(M_PASSED_SEALED);
    need_redraw = 1;
}

/* The player stepped onto a door at (px, py). */
static void use_door(void)
{
    AreaRec *a = &AREAS[st.area];
    u8 side, pos, dest;
    if (st.area == HOME) {
        load_area(WHEAD->town);
        st.px = 10;
        st.py = 1;
        st.facing = FACE_DOWN;
        return;
    }
    if (st.py == 0 && st.px == 10 && st.area == WHEAD->town) {
        load_area(HOME);
        st.px = 10;
        st.py = 12;
        st.facing = FACE_UP;
        return;
    }
    side = st.py == 13 ? 0 : st.py == 0 ? 1 : st.px == 0 ? 2 : 3;
    pos = a->dpos[side];
    dest = neighbour(st.area, side);
    load_area(dest);
    st.facing = side;
    switch (side) {
    case 0: st.px = pos; st.py = 1; break;
    case 1: st.px = pos; st.py = 12; break;
    case 2: st.px = 18; st.py = pos; break;
    default: st.px = 1; st.py = pos; break;
    }
}

static u8 find_feat(u8 x, u8 y)
{
    Feat *f = FEATS;
    u8 i;
    for (i = 0; i < WHEAD->nfeat; i++, f++)
        if (f->area == st.area && f->x == x && f->y == y)
            return i;
    return NONE;
}

static void gate(u8 k, u8 x, u8 y)
{
    static const u8 opened[3] = {M_OPENED_BRONZE, M_OPENED_SILVER, M_OPENED_GOLD};
    if (!(st.items & bit_of[k])) {
        open_dialog(D_LOCKED + k, 0);
        return;
    }
    set_flag(opened[k]);
    if (k == 1)
        st.chapter = 3;
    else if (k == 0 && st.chapter < 2)
        st.chapter = 2;
    terrain[y * MAP_W + x] = T_DOOR;
    open_dialog(D_OPENS + k, 0);
}

static void search(u8 fi, u8 role)
{
    u8 bit, item, dlg;
    if (role == R_SWORD) {
        bit = M_FOUND_SWORD; item = I_SWORD; dlg = D_FOUND_SWORD;
    } else if (role == R_BRONZE) {
        bit = M_FOUND_BRONZE; item = I_BRONZE; dlg = D_FOUND_BRONZE;
    } else if (role == R_GOLD) {
        bit = M_FOUND_GOLD; item = I_GOLD; dlg = D_FOUND_GOLD;
    } else {
        open_dialog(D_NOTHING, fi);
        return;
    }
    if (flag(bit)) {
        open_dialog(D_EMPTY, fi);
        return;
    }
    set_flag(bit);
    st.items |= item;
    open_dialog(dlg, fi);
}

/* First talk gives the hint and sets the milestone; later talks a short line. */
static void talk_hint(u8 bit, u8 hint_dlg)
{
    if (flag(bit)) {
        open_dialog(hint_dlg + 1, 0);
    } else {
        set_flag(bit);
        open_dialog(hint_dlg, 0);
    }
}

static void use_feature(u8 fi)
{
    Feat *f = &FEATS[fi];
    switch (f->role) {
    case R_MOTHER: open_dialog(D_MOTHER, fi); break;
    case R_ELDER:
        if (st.items & I_CROWN) {
            set_flag(M_TALKED_ELDER);
            st.after = 2;
            open_dialog(D_ELDER_END, fi);
        } else {
            talk_hint(M_TALKED_ELDER, D_ELDER_HINT);
        }
        break;
    case R_SMITH: talk_hint(M_HEARD_SWORD, D_SMITH_HINT); break;
    case R_SAGE: talk_hint(M_TALKED_SAGE, D_SAGE_HINT); break;
    case R_HERMIT: talk_hint(M_TALKED_HERMIT, D_HERMIT_HINT); break;
    case R_VILLAGER: open_dialog(D_VILLAGER, fi); break;
    case R_SIGN: open_dialog(D_SIGN, st.area); break;
    case R_INN:
        st.hp = st.max_hp;
        set_flag(M_RESTED);
        open_dialog(D_INN, fi);
        break;
    case R_G1:
    case R_G2:
    case R_G3:
        st.foe_feat = fi;
        st.after = 1;
        open_dialog(D_CHALLENGE + f->role - R_G1, fi);
        break;
    case R_ALTAR:
        if (st.items & I_CROWN) {
            open_dialog(D_ALTAR_DONE, fi);
        } else if (st.gems >= 3) {
            set_flag(M_GOT_CROWN);
            st.items |= I_CROWN;
            open_dialog(D_ALTAR_CROWN, fi);
        } else {
            open_dialog(D_ALTAR_NEED, fi);
        }
        break;
    case R_LEVER:
        if (flag(M_PULLED_LEVER)) {
            open_dialog(D_LEVER_DONE, fi);
        } else {
            set_flag(M_PULLED_LEVER);
            open_dialog(D_LEVER_PULL, fi);
        }
        break;
    default:
        if (f->tile == T_LEVER)
            open_dialog(D_LEVER_STUCK, fi);
        else
            search(fi, f->role);
        break;
    }
}

static void interact(void)
{
    u8 tx = st.px + dx_of[st.facing];
    u8 ty = st.py + dy_of[st.facing];
    u8 t, k, fi;
    if (tx >= MAP_W || ty >= MAP_H)
        return;
    t = terrain[ty * MAP_W + tx];
    if (t == T_GATE) {
        fi = ty == 13 ? 0 : ty == 0 ? 1 : tx == 0 ? 2 : 3;
        for (k = 0; k < 3; k++)
            if (WHEAD->gate_area[k] == st.area && WHEAD->gate_side[k] == fi)
                gate(k, tx, ty);
        return;
    }
    if (t == T_SEALED) {
        open_dialog(D_SEALED, 0);
        return;
    }
    if (t == T_FLOOR || t == T_DOOR)
        return;
    fi = find_feat(tx, ty);
    if (fi != NONE)
        use_feature(fi);
}

void overworld_update(u8 pressed)
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
