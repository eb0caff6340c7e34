/* Animus Quest 2 - where things go: names, mazes, pillars, people, objects and hints. */
#include "hardware.h"
#include "vocab.h"

#define NONE 0xFF
extern u8 reg[30], zone[30], entry[4];

static u8 dist[N_AREAS], dist2[N_AREAS];
static u8 sx[64], sy[64];
static u8 vis[96], stk[54];

static const u8 row3[13] = {0, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33};

static u8 bit_get(AreaRec *a, u8 x, u8 y)
{
    if (x < 1 || x > 18 || y < 1 || y > 12)
        return 1;
    x--;
    return a->bits[row3[y] + (x >> 3)] & bit_of[x & 7];
}

static void bit_set(AreaRec *a, u8 x, u8 y, u8 v)
{
    u8 *p, m;
    x--;
    p = &a->bits[row3[y] + (x >> 3)];
    m = bit_of[x & 7];
    if (v)
        *p |= m;
    else
        *p &= (u8)~m;
}

static u8 occ[7 * 16]; /* == stamp: a feature of the area last marked, by (y / 2, x / 2) */
static u8 stamp;

static void mark(u8 area)
{
    Feat *f = FEATS;
    u8 i;
    if (++stamp == 0) {
        for (i = 0; i < 7 * 16; i++)
            occ[i] = 0;
        stamp = 1;
    }
    for (i = WHEAD->nfeat; i; i--, f++)
        if (f->area == area)
            occ[((f->y >> 1) << 4) | (f->x >> 1)] = stamp;
}

#define used(x, y) (occ[(((y) >> 1) << 4) | ((x) >> 1)] == stamp)

static u8 door_cell(AreaRec *a, u8 x, u8 y)
{
    return (a->dtype[1] && y == 1 && x == a->dpos[1]) || (a->dtype[0] && y == 11 && x == a->dpos[0]) ||
           (a->dtype[2] && x == 1 && y == a->dpos[2]) || (a->dtype[3] && x == 17 && y == a->dpos[3]);
}

/* Dead ends of the mazes (not next to a door), found once after carving. */
#define MAX_MAZES 3
#define MAX_ENDS 24
static u8 maze_area[MAX_MAZES], maze_ends[MAX_MAZES];
static u8 end_x[MAX_MAZES][MAX_ENDS], end_y[MAX_MAZES][MAX_ENDS];

static u8 dead_ends(u8 area, u8 m)
{
    AreaRec *a = &AREAS[area];
    u8 x, y, n = 0, open;
    for (y = 1; y < 12; y += 2)
        for (x = 1; x < 18; x += 2) {
            open = !bit_get(a, x + 1, y) + !bit_get(a, x - 1, y) + !bit_get(a, x, y + 1) + !bit_get(a, x, y - 1);
            if (open == 1 && !door_cell(a, x, y) && n < MAX_ENDS) {
                end_x[m][n] = x;
                end_y[m][n++] = y;
            }
        }
    maze_area[m] = area;
    maze_ends[m] = n;
    return n;
}

/* Does (x,y) lie strictly inside the bound for direction dir (1 N .. 4 E) relative to (rx,ry)? */
static u8 inside(u8 dir, u8 x, u8 y, u8 rx, u8 ry)
{
    switch (dir) {
    case 1: return y > ry; /* the real one is the northern (smallest y) */
    case 2: return y < ry;
    case 3: return x > rx;
    case 4: return x < rx;
    }
    return 1;
}

/* Free places for a feature (inside the bound when dir != 0): maze dead ends, or even-even tiles. */
static u8 slots(u8 area, u8 dir, u8 rx, u8 ry)
{
    AreaRec *a = &AREAS[area];
    u8 x, y, n = 0, m, i;
    mark(area);
    if (a->maze) {
        for (m = 0; maze_area[m] != area; m++)
            ;
        for (i = 0; i < maze_ends[m]; i++) {
            x = end_x[m][i];
            y = end_y[m][i];
            if (!used(x, y) && (!dir || inside(dir, x, y, rx, ry))) {
                sx[n] = x;
                sy[n++] = y;
            }
        }
    } else {
        for (y = 2; y <= 10; y += 2)
            for (x = 2; x <= 16; x += 2)
                if (!used(x, y) && (!dir || inside(dir, x, y, rx, ry))) {
                    sx[n] = x;
                    sy[n++] = y;
                }
    }
    return n;
}

/* Add a feature on a random free slot (inside the bound when dir != 0). Returns its index or NONE. */
static u8 add(u8 area, u8 tile, u8 role, u8 aux, u8 dir, u8 rx, u8 ry)
{
    u8 m = slots(area, dir, rx, ry), pick;
    Feat *f;
    if (!m || WHEAD->nfeat >= MAX_FEAT)
        return NONE;
    pick = rnd_below(m);
    f = &FEATS[WHEAD->nfeat];
    f->area = area;
    f->x = sx[pick];
    f->y = sy[pick];
    f->tile = tile;
    f->role = role;
    f->aux = aux;
    return WHEAD->nfeat++;
}

/* Clear the interior bit of (x, y), x 1-18, y 1-12. */
static void open_tile(AreaRec *a, u8 x, u8 y)
{
    x--;
    a->bits[row3[y] + (x >> 3)] &= (u8)~bit_of[x & 7];
}

/* A perfect maze (random depth-first) on the odd lattice: cells (x, y), x 1-17, y 1-11, both odd. */
static void carve(u8 area)
{
    AreaRec *a = &AREAS[area];
    u8 i, sp, n, s, x, y;
    u8 opts[4];
    for (i = 0; i < 36; i++)
        a->bits[i] = 0xFF;
    for (i = 0; i < 96; i++)
        vis[i] = 0;
    x = 1 + 2 * rnd_below(9);
    y = 1 + 2 * rnd_below(6);
    vis[((y >> 1) << 4) | (x >> 1)] = 1;
    stk[0] = ((y >> 1) << 4) | (x >> 1);
    sp = 1;
    open_tile(a, x, y);
    while (sp) {
        i = stk[sp - 1];
        x = ((i & 15) << 1) + 1;
        y = ((i >> 4) << 1) + 1;
        n = 0;
        if (y < 11 && !vis[i + 16])
            opts[n++] = 0;
        if (y > 1 && !vis[i - 16])
            opts[n++] = 1;
        if (x > 1 && !vis[i - 1])
            opts[n++] = 2;
        if (x < 17 && !vis[i + 1])
            opts[n++] = 3;
        if (!n) {
            sp--;
            continue;
        }
        s = opts[n == 1 ? 0 : rnd_below(n)];
        switch (s) {
        case 0: open_tile(a, x, y + 1); y += 2; i += 16; break;
        case 1: open_tile(a, x, y - 1); y -= 2; i -= 16; break;
        case 2: open_tile(a, x - 1, y); x -= 2; i -= 1; break;
        default: open_tile(a, x + 1, y); x += 2; i += 1; break;
        }
        open_tile(a, x, y);
        vis[i] = 1;
        stk[sp++] = i;
    }
    if (a->dtype[3])
        open_tile(a, 18, a->dpos[3]);
    if (a->dtype[0])
        open_tile(a, a->dpos[0], 12);
    a->maze = 1;
}

static void pillars(u8 area)
{
    AreaRec *a = &AREAS[area];
    u8 x, y, r;
    if (a->maze || area == HOME)
        return;
    mark(area);
    for (y = 2; y <= 10; y += 2) {
        r = rnd() & (rnd() | rnd()); /* each bit set with probability 3/8 */
        for (x = 2; x <= 16; x += 2, r >>= 1)
            if ((r & 1) && !used(x, y))
                bit_set(a, x, y, 1);
    }
}

static void name_area(u8 area)
{
    AreaRec *a = &AREAS[area];
    u8 kind = area == WHEAD->town ? 0 : a->maze ? 4 : a->kind;
    u8 adj, noun, b, i, ok;
    const char *s;
    char *d;
    do {
        adj = rnd_below(V_NADJ);
        noun = rnd_below(V_NNOUN);
        a->pad = adj << 3 | noun; /* remembered to keep names unique */
        ok = 1;
        for (b = 1; b < area; b++)
            if (AREAS[b].pad == a->pad && (b == WHEAD->town ? 0 : AREAS[b].maze ? 4 : AREAS[b].kind) == kind)
                ok = 0;
    } while (!ok);
    d = a->name;
    for (i = 0; i < 12; i++)
        d[i] = ' ';
    for (s = v_adj[adj]; *s; s++)
        *d++ = *s;
    d++;
    for (s = v_noun[kind][noun]; *s; s++)
        *d++ = *s;
}

/* Area in the zone mask with the largest score (distance sum), random among ties. */
static u8 best_area(u8 zmask, u8 *d1, u8 *d2, u8 avoid1, u8 avoid2)
{
    u8 a, best = NONE;
    u16 sc, top = 0;
    for (a = 1; a < N_AREAS; a++) {
        if (!(zmask & bit_of[zone[a - 1]]) || a == WHEAD->town || a == avoid1 || a == avoid2)
            continue;
        sc = (u16)(d1[a] + (d2 ? d2[a] : 0)) * 8 + rnd_below(8) + 1;
        if (sc > top) {
            top = sc;
            best = a;
        }
    }
    return best;
}

/* A hinted object (plus maybe same-kind decoys beside it) and its hint parameters. */
static void hinted(u8 h, u8 area, u8 tile, u8 role)
{
    Hint *hp = &HINTS[h];
    AreaRec *a = &AREAS[area];
    Feat *f;
    u8 fi = add(area, tile, role, h, 0, 0, 0), dir, k, s, n;
    f = &FEATS[fi];
    hp->feat = fi;
    hp->fmt = rnd_below(V_NHINTFMT);
    hp->phrase = rnd();
    if (rnd_below(3)) { /* same-kind decoys in the same area: the hint needs a direction word */
        dir = 1 + rnd_below(4);
        for (k = 0; k < 4; k++, dir = dir % 4 + 1) {
            n = add(area, tile, R_DECOY, 0, dir, f->x, f->y);
            if (n != NONE) {
                if (rnd_below(2))
                    add(area, tile, R_DECOY, 0, dir, f->x, f->y);
                hp->dir = dir;
                hp->syn = rnd();
                break;
            }
        }
    }
    if (rnd_below(2)) { /* name the area by a neighbour it shares a door with */
        n = 0;
        for (s = 0; s < 4; s++)
            if (a->dtype[s] && a->dtype[s] != 6)
                n++;
        n = rnd_below(n);
        for (s = 0; s < 4; s++)
            if (a->dtype[s] && a->dtype[s] != 6 && !n--)
                break;
        hp->mode = 1;
        hp->ref = neighbour(area, s);
        hp->rel = s ^ 1;
    }
}

/* Decoys of a kind in random areas of a zone mask, never where a hinted object of that kind lies. */
static void decoys(u8 count, u8 zmask, u8 tile, u8 role)
{
    u8 a, i, tries = 0;
    while (count && tries++ < 40) {
        a = 1 + rnd_below(30);
        if (!(zmask & bit_of[zone[a - 1]]))
            continue;
        for (i = 0; i < 4; i++)
            if (FEATS[HINTS[i].feat].area == a && FEATS[HINTS[i].feat].tile == tile)
                break;
        if (i < 4)
            continue;
        if (add(a, tile, role, rnd(), 0, 0, 0) != NONE)
            count--;
    }
}

static u8 chest_or_well(void)
{
    return rnd_below(2) ? T_CHEST : T_WELL;
}

void place_features(void)
{
    u8 town = WHEAD->town, smith, bronze, sword, lever, g1, g2, g3, altar, gold, i, m, a;
    u8 maze_try[5];
    area_dist(town, dist);
    for (a = 0; a < N_AREAS; a++)
        AREAS[a].depth = dist[a];
    smith = best_area(1, dist, 0, NONE, NONE); /* R0 */
    area_dist(smith, dist2);
    bronze = best_area(1, dist, dist2, smith, NONE);
    area_dist(bronze, dist2);
    sword = best_area(1, dist, dist2, bronze, NONE);
    area_dist(WHEAD->sealed_area, dist);
    lever = best_area(2, dist, 0, NONE, NONE);
    g1 = best_area(4, dist, 0, NONE, NONE);
    area_dist(entry[2] + 1, dist);
    g2 = best_area(8, dist, 0, NONE, NONE);
    area_dist(WHEAD->gate_area[1], dist);
    area_dist(WHEAD->gate_area[2], dist2);
    gold = best_area(7, dist, dist2, bronze, sword);
    area_dist(entry[3] + 1, dist);
    altar = best_area(16, dist, 0, NONE, NONE);
    g3 = best_area(16, dist, 0, altar, NONE);

    maze_try[0] = g1;
    maze_try[1] = g2;
    maze_try[2] = altar;
    maze_try[3] = g3;
    maze_try[4] = lever;
    for (i = 0; i < MAX_MAZES; i++)
        maze_area[i] = NONE;
    for (i = m = 0; i < 5 && m < MAX_MAZES; i++) {
        a = maze_try[i];
        if (AREAS[a].maze)
            continue;
        carve(a);
        if (dead_ends(a, m) >= 3)
            m++;
        else { /* too few dead ends: make it a plain area again */
            for (a = 0; a < 36; a++)
                AREAS[maze_try[i]].bits[a] = 0;
            AREAS[maze_try[i]].maze = 0;
        }
    }
    WHEAD->mazes = m;

    /* HOME and TOWN */
    add(HOME, T_PERSON, R_MOTHER, 0, 0, 0, 0);
    add(town, T_PERSON, R_ELDER, 0, 0, 0, 0);
    add(town, T_INNKEEP, R_INN, 0, 0, 0, 0);
    add(town, T_PERSON, R_VILLAGER, 0, 0, 0, 0);
    add(town, T_PERSON, R_VILLAGER, 1, 0, 0, 0);
    add(town, T_SIGN, R_SIGN, 0, 0, 0, 0);
    add(smith, T_PERSON, R_SMITH, 0, 0, 0, 0);
    add(entry[1] + 1, T_PERSON, R_SAGE, 0, 0, 0, 0);
    add(entry[2] + 1, T_PERSON, R_HERMIT, 0, 0, 0, 0);
    add(g1, T_GUARDIAN, R_G1, 0, 0, 0, 0);
    add(g2, T_GUARDIAN, R_G2, 1, 0, 0, 0);
    add(g3, T_GUARDIAN, R_G3, 2, 0, 0, 0);
    add(altar, T_ALTAR, R_ALTAR, 0, 0, 0, 0);

    hinted(0, bronze, chest_or_well(), R_BRONZE);
    hinted(1, sword, chest_or_well(), R_SWORD);
    hinted(2, lever, T_LEVER, R_LEVER);
    hinted(3, gold, chest_or_well(), R_GOLD);

    decoys(3, 1, T_WELL, R_DECOY);
    decoys(3, 1, T_CHEST, R_DECOY);
    decoys(3, 6, T_WELL, R_DECOY);
    decoys(2, 6, T_CHEST, R_DECOY);
    decoys(3, 8, T_CHEST, R_DECOY);
    decoys(3, 16, T_WELL, R_DECOY);
    decoys(3, 1 | 2 | 8, T_LEVER, R_DECOY);
    decoys(5, 0x1F, T_PERSON, R_VILLAGER);
    decoys(4, 0x1F, T_SIGN, R_SIGN);

    for (a = 0; a < N_AREAS; a++) {
        pillars(a);
        name_area(a);
    }
    for (i = 0; i < 12; i++)
        AREAS[HOME].name[i] = v_home[i];
}
