/* Animus Quest 2 - world generation: PRNG, regions, connections, doors.
   Everything here depends only on the world number, so a world is the same every time. */
#include "hardware.h"

#define NONE 0xFF
#define CELLS 30

const u8 bit_of[8] = {1, 2, 4, 8, 16, 32, 64, 128};

static u8 r_x, r_y, r_z, r_a; /* 8-bit xorshift (period 2^32-1): cheap on the sm83 */
u8 reg[CELLS];            /* region of each grid cell */
u8 zone[CELLS];           /* 0 R0, 1 R1 open, 2 R1 sealed, 3 R2, 4 R3 */
u8 link[CELLS];           /* bit side: connected to the neighbour on that side */
u8 parent[CELLS];         /* spanning-tree parent (NONE at a region's root) */
static u8 cand[CELLS];
static u8 stack[CELLS];
u8 entry[4];              /* root cell of each region (R0: TOWN) */
static u8 size[4];

void rnd_seed(u16 w)
{
    r_x = (u8)w;
    r_y = (u8)(w >> 8);
    r_z = 0x5A;
    r_a = 0xC3;
}

u8 rnd(void)
{
    u8 t = r_x ^ (u8)(r_x << 4);
    r_x = r_y;
    r_y = r_z;
    r_z = r_a;
    r_a = r_z ^ t ^ (r_z >> 1) ^ (u8)(t << 1);
    return r_a;
}

/* Uniform in 0..n-1 (n >= 1) by rejection: no division, which the sm83 does slowly. */
u8 rnd_below(u8 n)
{
    u8 m = n - 1, r;
    m |= m >> 1;
    m |= m >> 2;
    m |= m >> 4;
    do
        r = rnd() & m;
    while (r >= n);
    return r;
}

/* grid neighbour of a cell on a side (S, N, W, E), or NONE; a table, as division is slow on the sm83 */
static const u8 nbt[CELLS][4] = {
    {6, NONE, NONE, 1},
    {7, NONE, 0, 2},
    {8, NONE, 1, 3},
    {9, NONE, 2, 4},
    {10, NONE, 3, 5},
    {11, NONE, 4, NONE},
    {12, 0, NONE, 7},
    {13, 1, 6, 8},
    {14, 2, 7, 9},
    {15, 3, 8, 10},
    {16, 4, 9, 11},
    {17, 5, 10, NONE},
    {18, 6, NONE, 13},
    {19, 7, 12, 14},
    {20, 8, 13, 15},
    {21, 9, 14, 16},
    {22, 10, 15, 17},
    {23, 11, 16, NONE},
    {24, 12, NONE, 19},
    {25, 13, 18, 20},
    {26, 14, 19, 21},
    {27, 15, 20, 22},
    {28, 16, 21, 23},
    {29, 17, 22, NONE},
    {NONE, 18, NONE, 25},
    {NONE, 19, 24, 26},
    {NONE, 20, 25, 27},
    {NONE, 21, 26, 28},
    {NONE, 22, 27, 29},
    {NONE, 23, 28, NONE},
};

#define nb(c, side) nbt[c][side]

u8 neighbour(u8 area, u8 side)
{
    u8 n = nb(area - 1, side);
    return n == NONE ? NONE : n + 1;
}

static void connect(u8 a, u8 side)
{
    u8 b = nb(a, side);
    link[a] |= bit_of[side];
    link[b] |= bit_of[side ^ 1];
}

/* Cells with region `want` next to a cell with region `r` (r NONE: any assigned region). */
static u8 frontier(u8 want, u8 r)
{
    u8 c, s, b, n = 0;
    for (c = 0; c < CELLS; c++) {
        if (reg[c] != want)
            continue;
        for (s = 0; s < 4; s++) {
            b = nb(c, s);
            if (b != NONE && (r == NONE ? reg[b] != NONE : reg[b] == r)) {
                cand[n++] = c;
                break;
            }
        }
    }
    return n;
}

static u8 grow(u8 r)
{
    u8 n = frontier(NONE, r);
    if (!n)
        return 0;
    reg[cand[rnd_below(n)]] = r;
    size[r]++;
    return 1;
}

static u8 partition(void)
{
    u8 c, k, n, s, b, i, room, best;
    for (c = 0; c < CELLS; c++)
        reg[c] = NONE;
    size[0] = size[1] = size[2] = size[3] = 0;
    entry[0] = rnd_below(CELLS);
    reg[entry[0]] = 0;
    size[0] = 1;
    while (size[0] < 7)
        if (!grow(0))
            return 0;
    for (k = 1; k < 4; k++) { /* a seed next to R0 with room around it for each other region */
        n = frontier(NONE, 0);
        if (!n)
            return 0;
        best = 0;
        c = cand[0];
        for (i = 0; i < n; i++) {
            room = rnd_below(4);
            for (s = 0; s < 4; s++) {
                b = nb(cand[i], s);
                if (b != NONE && reg[b] == NONE)
                    room += 4;
            }
            if (room > best) {
                best = room;
                c = cand[i];
            }
        }
        reg[c] = k;
        size[k] = 1;
    }
    for (n = 0; n < 5; n++) /* then they grow in turn, so none is boxed in early */
        for (k = 1; k < 4; k++)
            grow(k);
    for (;;) { /* the rest joins a neighbouring region */
        n = frontier(NONE, NONE);
        if (!n)
            break;
        c = cand[rnd_below(n)];
        k = NONE; /* join the smallest neighbouring region */
        for (s = 0; s < 4; s++) {
            b = nb(c, s);
            if (b != NONE && reg[b] != NONE && (k == NONE || size[reg[b]] < size[k]))
                k = reg[b];
        }
        reg[c] = k;
        size[k]++;
    }
    return size[1] >= 4 && size[2] >= 4 && size[3] >= 4;
}

/* The fixed partition used if 24 random ones fail (never seen, but it keeps every world valid). */
static const u8 fallback_reg[CELLS] = {
    1, 1, 0, 0, 2, 2,
    1, 1, 0, 0, 2, 2,
    1, 1, 0, 0, 3, 3,
    1, 1, 0, 0, 3, 3,
    1, 1, 0, 0, 3, 3,
};

/* Random depth-first spanning tree of one region from its root: long corridors, few branches. */
static void tree(u8 root)
{
    u8 sp = 0, c, s, b, n, r = reg[root];
    u8 opts[4];
    parent[root] = NONE;
    stack[sp++] = root;
    cand[root] = 1; /* cand[] doubles as the visited mark here */
    while (sp) {
        c = stack[sp - 1];
        n = 0;
        for (s = 0; s < 4; s++) {
            b = nb(c, s);
            if (b != NONE && reg[b] == r && !cand[b])
                opts[n++] = s;
        }
        if (!n) {
            sp--;
            continue;
        }
        s = opts[rnd_below(n)];
        b = nb(c, s);
        connect(c, s);
        parent[b] = c;
        cand[b] = 1;
        stack[sp++] = b;
    }
}

/* Pick the edge from R0 into region k: returns the R0 cell, side in *side, sets entry[k]. */
static u8 gate_edge(u8 k, u8 *side)
{
    u8 c, s, b, n = 0, pick;
    for (c = 0; c < CELLS; c++)
        if (reg[c] == 0)
            for (s = 0; s < 4; s++) {
                b = nb(c, s);
                if (b != NONE && reg[b] == k)
                    n++;
            }
    pick = rnd_below(n);
    for (c = 0; c < CELLS; c++)
        if (reg[c] == 0)
            for (s = 0; s < 4; s++) {
                b = nb(c, s);
                if (b != NONE && reg[b] == k && !pick--) {
                    *side = s;
                    entry[k] = b;
                    return c;
                }
            }
    return 0;
}

/* Number of cells in the subtree of c (R1 tree). */
static u8 subtree(u8 c)
{
    u8 d, n = 1;
    for (d = 0; d < CELLS; d++)
        if (parent[d] == c && reg[d] == reg[c])
            n += subtree(d);
    return n;
}

static void mark_sealed(u8 c)
{
    u8 d;
    zone[c] = 2;
    for (d = 0; d < CELLS; d++)
        if (parent[d] == c && reg[d] == 1)
            mark_sealed(d);
}

/* Loop edges: only inside one zone, so no loop bypasses a gate or the sealed door. */
static u8 add_loops(void)
{
    u8 c, s, b, n, want, i;
    n = 0;
    for (c = 0; c < CELLS; c++)
        for (s = 0; s < 4; s += 3) { /* S and E: each pair once */
            b = nb(c, s);
            if (b != NONE && zone[b] == zone[c] && !(link[c] & bit_of[s]))
                n++;
        }
    if (n < 3)
        return 0;
    want = 3 + rnd_below(2);
    for (i = 0; i < want && n; i++, n--) {
        u8 pick = rnd_below(n);
        for (c = 0; c < CELLS; c++)
            for (s = 0; s < 4; s += 3) {
                b = nb(c, s);
                if (b != NONE && zone[b] == zone[c] && !(link[c] & bit_of[s]) && pick-- == 0) {
                    connect(c, s);
                    goto next;
                }
            }
    next:;
    }
    WHEAD->loops = i;
    return 1;
}

/* BFS distances in doors over all connections (gates and sealed door included) from an area. */
u8 area_dist(u8 from, u8 *dist)
{
    u8 q[N_AREAS], h = 0, t = 0, a, s, b, far = from;
    for (a = 0; a < N_AREAS; a++)
        dist[a] = NONE;
    dist[from] = 0;
    q[t++] = from;
    while (h < t) {
        a = q[h++];
        far = a;
        for (s = 0; s < 4; s++) {
            if (a == HOME || !(link[a - 1] & bit_of[s]))
                continue;
            b = neighbour(a, s);
            if (dist[b] == NONE) {
                dist[b] = dist[a] + 1;
                q[t++] = b;
            }
        }
        if (a == WHEAD->town && dist[HOME] == NONE) {
            dist[HOME] = dist[a] + 1;
            q[t++] = HOME;
        }
    }
    return far;
}

static u8 build_graph(void)
{
    u8 c, k, s, g, best, score, sub, n1;
    for (c = 0; c < CELLS; c++) {
        link[c] = 0;
        cand[c] = 0;
        parent[c] = NONE;
    }
    tree(entry[0]);
    for (k = 1; k < 4; k++) {
        g = gate_edge(k, &s);
        WHEAD->gate_area[k - 1] = g + 1;
        WHEAD->gate_side[k - 1] = s;
        connect(g, s);
        tree(entry[k]);
    }
    /* the sealed door: the R1 tree edge that splits R1 most evenly, open part >= 2 areas */
    for (c = 0; c < CELLS; c++)
        zone[c] = reg[c] == 0 ? 0 : reg[c] == 1 ? 1 : reg[c] + 1;
    n1 = size[1];
    best = NONE;
    score = 0;
    for (c = 0; c < CELLS; c++) {
        if (reg[c] != 1 || c == entry[1])
            continue;
        sub = subtree(c);
        if (n1 - sub < 2)
            continue;
        g = (sub < n1 - sub ? sub : n1 - sub) * 4 + rnd_below(4);
        if (g > score) {
            score = g;
            best = c;
        }
    }
    mark_sealed(best);
    for (s = 0; s < 4; s++)
        if (nb(parent[best], s) == best)
            break;
    WHEAD->sealed_area = parent[best] + 1;
    WHEAD->sealed_side = s;
    return add_loops();
}

static void write_areas(void)
{
    AreaRec *a;
    u8 c, s, t, k, pos, m, col = 0, row = 0;
    for (c = 0; c < CELLS; c++) {
        a = &AREAS[c + 1];
        a->region = reg[c];
        a->col = col;
        a->row = row;
        if (++col == 6) {
            col = 0;
            row++;
        }
        a->sealed = zone[c] == 2;
        a->kind = 1 + rnd_below(3);
        m = link[c];
        for (s = 0; s < 4; s++) {
            a->dtype[s] = m & 1;
            m >>= 1;
        }
    }
    /* door coordinates: odd, shared by both sides of an edge */
    for (c = 0; c < CELLS; c++) {
        a = &AREAS[c + 1];
        if (a->dtype[0]) {
            pos = 1 + 2 * rnd_below(9);
            a->dpos[0] = pos;
            AREAS[c + 7].dpos[1] = pos;
        }
        if (a->dtype[3]) {
            pos = 1 + 2 * rnd_below(6);
            a->dpos[3] = pos;
            AREAS[c + 2].dpos[2] = pos;
        }
    }
    for (k = 0; k < 3; k++)
        AREAS[WHEAD->gate_area[k]].dtype[WHEAD->gate_side[k]] = 2 + k;
    AREAS[WHEAD->sealed_area].dtype[WHEAD->sealed_side] = 5;
    a = &AREAS[HOME];
    a->kind = 0;
    a->col = a->row = NONE;
    a->dpos[0] = 10;
    a->dtype[0] = 6;
    t = WHEAD->town;
    AREAS[t].kind = 1;
}

void generate(u16 world)
{
    u8 *p = (u8 *)WHEAD;
    u16 i;
    u8 tries = 0;
    for (i = 0; i < 0xCAF0 - 0xC080; i++)
        p[i] = 0;
    rnd_seed(world);
    for (i = 0; i < 8; i++)
        rnd();
    WHEAD->world_lo = (u8)world;
    WHEAD->world_hi = (u8)(world >> 8);
    WHEAD->format = 1;
    for (;;) {
        tries++;
        if (tries > 24) {
            for (i = 0; i < CELLS; i++)
                reg[i] = fallback_reg[i];
            entry[0] = 14;
            size[0] = 10;
            size[1] = 10;
            size[2] = 4;
            size[3] = 6;
        } else if (!partition()) {
            continue;
        }
        WHEAD->town = entry[0] + 1;
        if (build_graph() || tries > 24)
            break;
    }
    WHEAD->attempts = tries;
    write_areas();
    place_features();
    count_pages();
}
