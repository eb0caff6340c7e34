/* Animus Quest - hardware registers, RAM map and shared declarations. */
#ifndef HARDWARE_H
#define HARDWARE_H

#include "gen_data.h"

typedef unsigned char u8;
typedef unsigned int u16; /* 16 bit on sm83 */

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

/* ---- background tile ids ---- */
#define T_SPACE    0x20
#define T_FLOOR    0x80
#define T_WALL     0x81
#define T_TREE     0x82
#define T_ROCK     0x83
#define T_WATER    0x84
#define T_DOOR     0x85
#define T_NPC      0x86
#define T_GUARDIAN 0x87
#define T_WELL     0x88
#define T_GATE     0x89
#define T_ALTAR    0x8A
#define T_PLAYER   0x8B /* + facing (down, up, left, right) */
#define T_BOX_TL   0x8F
#define T_BOX_TR   0x90
#define T_BOX_BL   0x91
#define T_BOX_BR   0x92
#define T_BOX_H    0x93
#define T_BOX_V    0x94

/* ---- modes ---- */
#define MODE_TITLE     0
#define MODE_OVERWORLD 1
#define MODE_DIALOG    2
#define MODE_BATTLE    3
#define MODE_ENDING    4

/* ---- facing ---- */
#define FACE_DOWN  0
#define FACE_UP    1
#define FACE_LEFT  2
#define FACE_RIGHT 3

/* ---- milestone flags ---- */
#define F_LEFT_HOUSE    0x01
#define F_TALKED_ELDER  0x02
#define F_FOUND_KEY     0x04
#define F_OPENED_GATE   0x08
#define F_REACHED_CAVE  0x10
#define F_BEAT_GUARDIAN 0x20
#define F_GOT_BADGE     0x40
#define F_FINISHED      0x80

/* ---- inventory ---- */
#define INV_KEY   0x01
#define INV_BADGE 0x02

/* ---- battle ---- */
#define PLAYER_MAX_HP   20
#define GUARDIAN_MAX_HP 30
#define PLAYER_DAMAGE   10
#define GUARDIAN_DAMAGE 4

#define MAP_W 20
#define MAP_H 14

/* ---- the fixed RAM map at 0xC000 (see README.md) ---- */
typedef struct {
    u8 magic;      /* 0xC000 'A' */
    u8 version;    /* 0xC001 1 */
    u8 mode;       /* 0xC002 */
    u8 map;        /* 0xC003 */
    u8 px;         /* 0xC004 */
    u8 py;         /* 0xC005 */
    u8 facing;     /* 0xC006 */
    u8 flags;      /* 0xC007 */
    u8 inv;        /* 0xC008 */
    u8 php;        /* 0xC009 */
    u8 ghp;        /* 0xC00A */
    u8 cursor;     /* 0xC00B */
    u8 dlg;        /* 0xC00C */
    u8 page;       /* 0xC00D */
    u16 steps;     /* 0xC00E */
    u16 plays;     /* 0xC010 */
    u8 joy_prev;   /* 0xC012 buttons held last frame */
    u8 joy_cur;    /* 0xC013 buttons held this frame */
    u8 joy_new;    /* 0xC014 buttons newly pressed this frame */
    u8 dlg_count;  /* 0xC015 pages of the open dialog */
    u16 frames;    /* 0xC016 frame counter (wraps) */
    u8 battle_msg; /* 0xC018 battle message: 0 intro, 1 after an exchange */
    u8 boot_keys;  /* 0xC019 buttons seen held during start-up (crt0/main) */
    u8 reserved[6];/* 0xC01A-0xC01F, unused (0) */
    char text[36]; /* 0xC020 dialog text, two 18-char lines */
} State;

extern volatile __at(0xC000) State st;

/* ---- video.c ---- */
extern u8 terrain[MAP_W * MAP_H];
extern u8 need_redraw;
void wait_vblank(void);
void lcd_off(void);
void lcd_on(void);
void load_tiles(void);
void clear_map(void);
void put(u8 x, u8 y, u8 t);
void put_str(u8 x, u8 y, const char *s);
void put_num(u8 x, u8 y, u16 n);
void queue_tile(u8 x, u8 y, u8 t);
void flush_queue(void);
void draw_screen(void);
void draw_box(void);

/* ---- text.c ---- */
void text_clear(void);
void text_page(void);

/* ---- battle.c ---- */
void battle_start(void);
void battle_update(u8 pressed);
void draw_battle(void);

/* ---- main.c ---- */
void load_area(u8 id);
void open_dialog(u8 id);

#endif
