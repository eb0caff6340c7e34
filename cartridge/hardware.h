/* Animus Quest 2 - hardware registers, RAM map, world block and shared declarations. */
#ifndef HARDWARE_H
#define HARDWARE_H

#include "gen_data.h"

typedef unsigned char u8;
typedef signed char s8;
#ifdef HOST /* tools/host_check.c: the generator compiled for the build machine */
typedef unsigned short u16;
#define __at(a)
#else
typedef unsigned int u16; /* 16 bit on sm83 */
#endif

/* ---- I/O registers ---- */
#define REG(a) (*(volatile u8 *)(a))
#define P1   REG(0xFF00)
#define IF   REG(0xFF0F)
#define LCDC REG(0xFF40)
#define STAT REG(0xFF41)
#define SCY  REG(0xFF42)
#define SCX  REG(0xFF43)
#define BGP  REG(0xFF47)
#define OBP0 REG(0xFF48)
#define WY   REG(0xFF4A)
#define WX   REG(0xFF4B)
#define IE   REG(0xFFFF)

#define LCDC_ON  0x91 /* LCD on, BG tiles at 0x8000, BG map 0x9800, BG on, OBJ off */
#define VRAM_TILES ((volatile u8 *)0x8000)
#define VRAM_MAP   ((volatile u8 *)0x9800)

/* ---- joypad bits (1 = pressed) ---- */
#define J_A      0x01
#define J_B      0x02
#define J_SELECT 0x04
#define J_START  0x08
#define J_RIGHT  0x10
#define J_LEFT   0x20
#define J_UP     0x40
#define J_DOWN   0x80

/* ---- background tile ids (DESIGN.md) ---- */
#define T_SPACE    0x20
#define T_FLOOR    0x80
#define T_WALL     0x81
#define T_TREE     0x82
#define T_ROCK     0x83
#define T_WATER    0x84
#define T_DOOR     0x85
#define T_PERSON   0x86
#define T_GUARDIAN 0x87
#define T_WELL     0x88
#define T_GATE     0x89
#define T_SIGN     0x8A
#define T_PLAYER   0x8B /* + facing (down, up, left, right) */
#define T_BOX_TL   0x8F
#define T_BOX_TR   0x90
#define T_BOX_BL   0x91
#define T_BOX_BR   0x92
#define T_BOX_H    0x93
#define T_BOX_V    0x94
#define T_SEALED   0x95
#define T_LEVER    0x96
#define T_INNKEEP  0x97
#define T_CHEST    0x98
#define T_ALTAR    0x99

/* ---- modes ---- */
#define MODE_TITLE     0
#define MODE_OVERWORLD 1
#define MODE_DIALOG    2
#define MODE_BATTLE    3
#define MODE_ENDING    4

/* ---- facing, also the order of an area's sides: S, N, W, E ---- */
#define FACE_DOWN  0
#define FACE_UP    1
#define FACE_LEFT  2
#define FACE_RIGHT 3

/* ---- milestones (bit numbers of the 24-bit flags at 0xC007) ---- */
#define M_LEFT_HOME      0
#define M_TALKED_ELDER   1
#define M_HEARD_SWORD    2
#define M_FOUND_SWORD    3
#define M_RESTED         4
#define M_FOUND_BRONZE   5
#define M_OPENED_BRONZE  6
#define M_ENTERED_R1     7
#define M_TALKED_SAGE    8
#define M_PULLED_LEVER   9
#define M_PASSED_SEALED  10
#define M_BEAT_G1        11
#define M_OPENED_SILVER  12
#define M_ENTERED_R2     13
#define M_TALKED_HERMIT  14
#define M_BEAT_G2        15
#define M_FOUND_GOLD     16
#define M_OPENED_GOLD    17
#define M_ENTERED_R3     18
#define M_BEAT_G3        19
#define M_GOT_CROWN      20
#define M_FINISHED       21

/* ---- items (0xC00A) ---- */
#define I_BRONZE 0x01
#define I_SILVER 0x02
#define I_GOLD   0x04
#define I_SWORD  0x08
#define I_CROWN  0x10

#define MAX_HP 30
#define MAP_W 20
#define MAP_H 14

/* ---- the fixed RAM map at 0xC000 (DESIGN.md, README.md) ---- */
typedef struct {
    u8 magic;       /* 0xC000 'W' */
    u8 version;     /* 0xC001 2 */
    u8 mode;        /* 0xC002 */
    u8 area;        /* 0xC003 */
    u8 px;          /* 0xC004 */
    u8 py;          /* 0xC005 */
    u8 facing;      /* 0xC006 */
    u8 flags[3];    /* 0xC007 milestones */
    u8 items;       /* 0xC00A */
    u8 gems;        /* 0xC00B */
    u8 hp;          /* 0xC00C */
    u8 max_hp;      /* 0xC00D */
    u8 enemy_hp;    /* 0xC00E */
    u8 enemy;       /* 0xC00F */
    u8 cursor;      /* 0xC010 */
    u8 dlg_open;    /* 0xC011 */
    u8 page;        /* 0xC012 */
    u8 page_count;  /* 0xC013 */
    u8 chapter;     /* 0xC014 */
    u8 region;      /* 0xC015 */
    u16 steps;      /* 0xC016 */
    u16 plays;      /* 0xC018 */
    u16 world;      /* 0xC01A */
    u8 digit;       /* 0xC01C */
    u8 joy_prev;    /* 0xC01D */
    u8 joy_cur;     /* 0xC01E */
    u8 joy_new;     /* 0xC01F */
    char text[36];  /* 0xC020 */
    char name[16];  /* 0xC044 */
    u16 frames;     /* 0xC054 main-loop frame counter */
    u8 battle_msg;  /* 0xC056 0 intro, 1 after an exchange */
    u8 boot_keys;   /* 0xC057 buttons seen held during start-up */
    u16 shown;      /* 0xC058 world number the title shows */
    u8 dlg;         /* 0xC05A open dialog id */
    u8 dlg_arg;     /* 0xC05B its argument (feature index, area, ...) */
    u8 after;       /* 0xC05C what closing the dialog does: 0 nothing, 1 battle, 2 ending */
    u8 foe_feat;    /* 0xC05D feature index of the guardian being fought */
    u8 unused;      /* 0xC05E (0xC05E-0xC07F unused, 0) */
} State;

#ifdef HOST
extern u8 host_ram[0x1000];
#define st (*(State *)host_ram)
#define RAMP(a) ((void *)(host_ram + ((a) - 0xC000)))
#else
extern volatile __at(0xC000) State st;
#define RAMP(a) ((void *)(a))
#endif

/* ---- the world block (0xC080..0xCAEF), layout in README.md ---- */
typedef struct {
    u8 world_lo, world_hi; /* +0 */
    u8 town;               /* +2 TOWN area id */
    u8 nfeat;              /* +3 number of features */
    u8 gate_area[3];       /* +4 bronze, silver, gold gate: area (R0 side) */
    u8 gate_side[3];       /* +7 side of that area (S,N,W,E = 0..3) */
    u8 sealed_area;        /* +10 area with the sealed door tile */
    u8 sealed_side;        /* +11 */
    u8 attempts;           /* +12 partition attempts (1 = first try) */
    u8 loops;              /* +13 loop edges */
    u8 mazes;              /* +14 maze areas */
    u8 format;             /* +15 block format 1 */
} WorldHead;

typedef struct {
    u8 kind;       /* +0 0 room (walls), 1 trees, 2 rocks, 3 water: the blocking tile of the area */
    u8 region;     /* +1 0-3 */
    u8 col, row;   /* +2 grid cell (HOME: 0xFF) */
    u8 dpos[4];    /* +4 door coordinate per side S,N,W,E (0 = no door) */
    u8 dtype[4];   /* +8 0 none, 1 door, 2/3/4 bronze/silver/gold gate, 5 sealed door, 6 house door */
    u8 maze;       /* +12 1: one-screen maze */
    u8 sealed;     /* +13 1: behind the sealed door */
    u8 depth;      /* +14 doors from TOWN (BFS over the connections) */
    u8 pad;        /* +15 */
    u8 bits[36];   /* +16 interior blockers: row y=1..12 is 3 bytes, bit x-1 for x=1..18 */
    char name[12]; /* +52 ASCII, space padded */
} AreaRec;

typedef struct {
    u8 area, x, y, tile, role, aux;
} Feat;

typedef struct {
    u8 feat;   /* feature the hint points at */
    u8 fmt;    /* phrasing */
    u8 dir;    /* 0 none, 1 N, 2 S, 3 W, 4 E (extreme among same-kind objects of the area) */
    u8 syn;    /* synonym of the direction word */
    u8 mode;   /* 0 by name, 1 by relation */
    u8 ref;    /* relation: the named area */
    u8 rel;    /* relation: 0 S, 1 N, 2 W, 3 E: the target lies that way from ref */
    u8 phrase; /* area phrase variant */
} Hint;

#define WHEAD   ((WorldHead *)RAMP(0xC080))
#define AREAS   ((AreaRec *)RAMP(0xC090))
#define FEATS   ((Feat *)RAMP(0xC850))
#define HINTS   ((Hint *)RAMP(0xCA90))
#define DPAGES  ((u8 *)RAMP(0xCAB0))
#define MAX_FEAT 96
#define N_AREAS 31
#define HOME 0

/* feature roles */
#define R_DECOY    0
#define R_ELDER    1
#define R_SMITH    2
#define R_SAGE     3
#define R_HERMIT   4
#define R_INN      5
#define R_G1       6
#define R_G2       7
#define R_G3       8
#define R_ALTAR    9
#define R_SWORD    10
#define R_BRONZE   11
#define R_GOLD     12
#define R_LEVER    13
#define R_SIGN     14
#define R_MOTHER   15
#define R_VILLAGER 16

/* dialog ids (text.c, vocab_*.c) */
#define D_MOTHER 1
#define D_ELDER_HINT 2
#define D_ELDER_AGAIN 3
#define D_ELDER_END 4
#define D_SMITH_HINT 5
#define D_SMITH_AGAIN 6
#define D_SAGE_HINT 7
#define D_SAGE_AGAIN 8
#define D_HERMIT_HINT 9
#define D_HERMIT_AGAIN 10
#define D_VILLAGER 11
#define D_INN 12
#define D_SIGN 13
#define D_NOTHING 14
#define D_FOUND_SWORD 15
#define D_FOUND_BRONZE 16
#define D_FOUND_GOLD 17
#define D_EMPTY 18
#define D_LEVER_STUCK 19
#define D_LEVER_PULL 20
#define D_LEVER_DONE 21
#define D_LOCKED 22 /* + gate 0..2 */
#define D_OPENS 25  /* + gate 0..2 */
#define D_SEALED 28
#define D_CHALLENGE 29 /* + guardian 0..2 */
#define D_WIN 32       /* + guardian 0..2 */
#define D_ALTAR_NEED 35
#define D_ALTAR_CROWN 36
#define D_ALTAR_DONE 37
#define D_FAINTED 38
#define D_COUNT 39

/* ---- bit_of[i] == 1 << i (variable shifts are slow, and SDCC 4.2 mis-compiled one) ---- */
extern const u8 bit_of[8];

/* ---- video.c ---- */
extern u8 terrain[MAP_W * MAP_H];
extern u8 need_redraw;
void wait_vblank(void);
void lcd_off(void);
void lcd_on(void);
void load_tiles(void);
void put(u8 x, u8 y, u8 t);
void put_str(u8 x, u8 y, const char *s);
void put_num(u8 x, u8 y, u16 n);
void queue_tile(u8 x, u8 y, u8 t);
void flush_queue(void);
void draw_screen(void);
void draw_box(void);
void title_digits(void);

/* ---- gen.c / place.c ---- */
u8 rnd(void);
u8 rnd_below(u8 n);
void rnd_seed(u16 w);
void generate(u16 world);
u8 neighbour(u8 area, u8 side);
void place_features(void);
u8 area_dist(u8 from, u8 *dist);

/* ---- text.c ---- */
void text_clear(void);
u8 compose(u8 id, u8 arg);
void open_dialog(u8 id, u8 arg);
void show_page(void);
void count_pages(void);
void count_fixed_pages(void);

/* ---- area.c ---- */
void load_area(u8 id);
void overworld_update(u8 pressed);
u8 flag(u8 bit);
void set_flag(u8 bit);

/* ---- battle.c ---- */
void battle_start(void);
void battle_update(u8 pressed);
void draw_battle(void);

/* ---- main.c ---- */
void new_game(void);
void faint(void);

#endif
