/* PKMN LAYOUT: a test cartridge that keeps its state in work RAM exactly where Pokémon Red/Blue (English) keeps
 * it, so Animus's pokemon-red profile can be run end to end without the commercial ROM. It is no game: A steps
 * through a fixed script of sixteen scenes (the table `script` below), each a set of writes to those addresses;
 * in the walking scenes the d-pad walks the player around a small room, in the menus it moves the cursor.
 *
 * The game's state is all in the Pokémon layout; the C globals (the scene number, the last buttons, a redraw flag,
 * the current room and its rows of tiles) are only this engine's, and the linker puts them at 0xDA00 (build.sh),
 * above every address Pokémon Red uses here. Deterministic: one pass per frame after the VBlank halt, no timer,
 * DIV or LY reads. video.c holds the screen and joypad helpers and the tile graphics.
 */

#include <string.h>

#define RAM(addr) (*(unsigned char *)(addr))

/* Pokémon Red (English) work RAM, as pret/pokered's symbol file places it. */
#define W_TILE_MAP 0xC3A0          /* 20x18 tile ids, the screen the game composes */
#define W_SPRITE_DATA1 0xC100      /* 16 entries of 0x10 bytes: +0 picture id, +2 image index, +9 facing */
#define W_SPRITE_DATA2 0xC200      /* 16 entries of 0x10 bytes: +4 map Y + 4, +5 map X + 4 */
#define W_PLAYER_FACING 0xC109     /* 0x00 down, 0x04 up, 0x08 left, 0x0C right */
#define W_TOP_MENU_ITEM_Y 0xCC24   /* the cursor's first row and its column */
#define W_TOP_MENU_ITEM_X 0xCC25
#define W_CURRENT_MENU_ITEM 0xCC26
#define W_MAX_MENU_ITEM 0xCC28
#define W_FONT_LOADED 0xCFC4       /* bit 0: a text box or a menu is open */
#define W_ENEMY_MON 0xCFE5         /* a battle struct, 29 bytes (layout at `rival_battle`) */
#define W_BATTLE_MON 0xD014        /* the player's, the same layout */
#define W_IS_IN_BATTLE 0xD057      /* 0 none, 1 wild, 2 trainer */
#define W_PLAYER_NAME 0xD158       /* 11 bytes, ended by 0x50 */
#define W_PARTY_COUNT 0xD163       /* then wPartySpecies: the species, then 0xFF */
#define W_PARTY_MON1 0xD16B        /* 44 bytes per mon (layout at `got_starter`) */
#define W_PARTY_MON_OT 0xD273      /* 11 bytes each */
#define W_PARTY_MON_NICKS 0xD2B5   /* 11 bytes each */
#define W_NUM_BAG_ITEMS 0xD31D     /* then wBagItems: (item id, quantity) pairs, then 0xFF */
#define W_PLAYER_MONEY 0xD347      /* 3 bytes BCD, big-endian */
#define W_RIVAL_NAME 0xD34A
#define W_OBTAINED_BADGES 0xD356
#define W_CUR_MAP 0xD35E
#define W_Y_COORD 0xD361           /* then wXCoord (0xD362), in 16x16-pixel cells */
#define W_X_COORD 0xD362
#define W_TILESET_COLLISION_PTR 0xD530 /* little-endian pointer to the walkable tile ids, ended by 0xFF */

/* Event flags, as (byte, bit): flag n is bit n % 8 of 0xD747 + n / 8. */
#define FOLLOWED_OAK 0xD747, 0
#define GOT_STARTER 0xD74B, 2
#define BEAT_RIVAL_LAB 0xD74B, 3
#define GOT_POKEDEX 0xD74B, 5
#define GOT_PARCEL 0xD74E, 1
#define DELIVERED_PARCEL 0xD74E, 0
#define BEAT_BROCK 0xD755, 7

/* Game facts: species, move, item and type ids of Pokémon Red. */
#define CHARMANDER 0xB0
#define SQUIRTLE 0xB1
#define WEEDLE 0x70
#define SCRATCH 0x0A
#define GROWL 0x2D
#define TACKLE 0x21
#define TAIL_WHIP 0x27
#define POISON_STING 0x28
#define STRING_SHOT 0x51
#define POTION 0x14
#define OAKS_PARCEL 0x46
#define FIRE 0x14
#define WATER 0x15
#define BUG 0x07
#define POISON_TYPE 0x03
#define POISONED 0x08 /* status bit 3 */

#define FACE_DOWN 0x00
#define FACE_UP 0x04
#define FACE_LEFT 0x08
#define FACE_RIGHT 0x0C

/* Tile ids (video.c draws them): this cartridge's own below 0x40, the rest Pokémon Red's charset. */
#define FLOOR 0x30   /* walkable: the only id in the collision list */
#define WALL 0x31    /* a room's border and furniture */
#define OUTSIDE 0x32 /* beyond the room */
#define PLAYER_TILES 0x01 /* VRAM only (never in wTileMap): 4 tiles per facing, down/up/left/right */
#define NPC_TILES 0x11
#define BLANK 0x7F
#define CURSOR 0xED
#define TERMINATOR 0x50

/* Walkable tile ids for wTilesetCollisionPtr, in ROM bank 0 as the game's lists are. */
static const unsigned char walkable[] = {FLOOR, 0xFF};

/* video.c: the screen, the joypad, the tile graphics */
void video_init(void);
void lcd_on(void);
void lcd_off(void);
void start_frames(void);
unsigned char keys(void);
unsigned char charcode(char c);
unsigned char *tile_at(unsigned char col, unsigned char row);
void put_text(unsigned char col, unsigned char row, const char *text);
void box(unsigned char left, unsigned char top, unsigned char right, unsigned char bottom);
void fill(unsigned char *at, unsigned char value, unsigned char n);
void copy_tile_map(void);
void draw_figure(unsigned char col, unsigned char row, unsigned char first);

/* ---- Rooms ------------------------------------------------------------------------------------------- */

/* Each map is a walled room with one block of furniture and one other character (sprite entry 1). */
struct room {
    unsigned char map, width, height;
    unsigned char npc_x, npc_y, npc_picture;
    unsigned char block_x, block_y, block_w, block_h; /* furniture: wall cells */
};

static const struct room rooms[] = {
    /* map   w   h  npc x, y, pic  block x, y, w, h */
    {0x00, 10, 9, 2, 5, 0x04, 6, 2, 2, 2},  /* PALLET TOWN: the NPC blocks the way up from (2, 6) */
    {0x28, 10, 12, 5, 3, 0x07, 2, 6, 2, 1}, /* OAK'S LAB: tall, so (5, 10) is inside */
    {0x01, 10, 9, 7, 2, 0x0B, 2, 2, 2, 2},  /* VIRIDIAN CITY */
    {0x33, 10, 9, 3, 3, 0x0D, 6, 5, 2, 2},  /* VIRIDIAN FOREST */
    {0x02, 10, 9, 5, 2, 0x10, 1, 2, 2, 1},  /* PEWTER CITY */
};

/* The current map's room, copied from `rooms` when a scene starts (a global is quicker for the sm83 to reach
 * than a structure behind a pointer). */
static struct room here;

/* Every row of a room is one of four kinds: above or below it, its top or bottom wall, a floor row, or a floor
 * row the furniture crosses. Each kind's tiles are kept as the screen shows them, 2 tiles a cell, with cells of
 * OUTSIDE around the room (PAD_LEFT on the left, 6 on the right: the screen shows the player's column and 4 to
 * its left, 5 to its right). Drawing the screen is then 9 row copies, and a cell one read: cell by cell in C
 * the room took most of a frame to draw. */
enum { ROW_OUTSIDE, ROW_WALL, ROW_FLOOR, ROW_FURNITURE };
#define PAD_LEFT 4
#define MAX_WIDTH 16 /* the widest room `rooms` may hold */
static unsigned char row_tiles[4][2 * (PAD_LEFT + MAX_WIDTH + 6)];

static void find_room(void)
{
    unsigned char i, tiles, *row;
    for (i = 0; i < sizeof rooms / sizeof rooms[0] - 1; i++) /* an unknown map gets the last room */
        if (rooms[i].map == RAM(W_CUR_MAP))
            break;
    here = rooms[i];
    tiles = here.width << 1; /* a row of the room, in tiles */
    for (i = ROW_OUTSIDE; i <= ROW_FURNITURE; i++)
        fill(row_tiles[i], OUTSIDE, sizeof row_tiles[i]);
    fill(row_tiles[ROW_WALL] + 2 * PAD_LEFT, WALL, tiles);
    for (i = ROW_FLOOR; i <= ROW_FURNITURE; i++) {
        row = row_tiles[i] + 2 * PAD_LEFT;
        fill(row, WALL, tiles); /* the walls at x = 0 and x = width - 1, floor between */
        fill(row + 2, FLOOR, tiles - 4);
    }
    fill(row_tiles[ROW_FURNITURE] + 2 * (PAD_LEFT + here.block_x), WALL, here.block_w << 1);
}

/* The kind of the room's row y; rows above the room wrap round to 0xFF.. and so fall outside. */
static unsigned char row_kind(unsigned char y)
{
    if (y >= here.height)
        return ROW_OUTSIDE;
    if (y == 0 || (unsigned char)(y + 1) == here.height)
        return ROW_WALL;
    return (unsigned char)(y - here.block_y) < here.block_h ? ROW_FURNITURE : ROW_FLOOR;
}

/* What the map cell (x, y) is: FLOOR, WALL or OUTSIDE. */
static unsigned char cell(unsigned char x, unsigned char y)
{
    x += PAD_LEFT; /* x = -1 (0xFF) becomes 3: inside the padding */
    if (x >= sizeof row_tiles[0] / 2)
        return OUTSIDE;
    return row_tiles[row_kind(y)][x << 1];
}

/* ---- The script ---------------------------------------------------------------------------------------- */

/* A scene's writes are a list of records ended by END, each naming an address (little-endian) then:
 * PUT n bytes given; ZERO n bytes; FLAG sets one event flag; NAME writes a name of `names` (11 bytes). */
enum { END, OP_PUT, OP_ZERO, OP_FLAG, OP_NAME };
#define LO(addr) ((addr) & 0xFF)
#define HI(addr) ((addr) >> 8)
#define PUT(addr, n) OP_PUT, LO(addr), HI(addr), (n)
#define ZERO(addr, n) OP_ZERO, LO(addr), HI(addr), (n)
#define FLAG(flag) FLAG_(flag)
#define FLAG_(addr, bit) OP_FLAG, LO(addr), HI(addr), (1u << (bit))
#define NAME(addr, name) OP_NAME, LO(addr), HI(addr), (name)
#define WARP(map, x, y) PUT(W_CUR_MAP, 1), (map), PUT(W_Y_COORD, 2), (y), (x)
#define MONEY(b0, b1, b2) PUT(W_PLAYER_MONEY, 3), (b0), (b1), (b2)
/* wTopMenuItemY, wTopMenuItemX, wCurrentMenuItem 0; wMaxMenuItem (0xCC27 between is not ours to write) */
#define MENU(top_y, top_x, max) PUT(W_TOP_MENU_ITEM_Y, 3), (top_y), (top_x), 0, PUT(W_MAX_MENU_ITEM, 1), (max)
#define NO_ITEMS PUT(W_NUM_BAG_ITEMS, 2), 0, 0xFF
#define HP(n) 0, (n) /* a u16, big-endian (all HP here is under 256) */

enum { RED, BLUE, NICK_CHARMANDER };
static const char *const names[] = {"RED", "BLUE", "CHARMANDER"};

/* What a scene shows. WALK: the room, d-pad walks. TEXT: the room under a text box. BATTLE: a battle screen
 * with a text box. MENU: the room under the start menu. YESNO: the room, a text box and a YES/NO box. */
enum { WALK, TEXT, BATTLE, MENU, YESNO };

struct scene {
    unsigned char screen;
    const char *line1, *line2; /* the text box's two lines (rows 14 and 16), or 0 */
    const unsigned char *writes;
};

static const unsigned char boot[] = {
    WARP(0x00, 5, 6),
    PUT(W_SPRITE_DATA1, 3), 1, 0, 0, /* the player's sprite entry: picture id 1, image index 0 */
    PUT(W_PLAYER_FACING, 1), FACE_DOWN,
    PUT(W_PARTY_COUNT, 2), 0, 0xFF,
    NO_ITEMS,
    MONEY(0x00, 0x30, 0x00),
    NAME(W_PLAYER_NAME, RED),
    NAME(W_RIVAL_NAME, BLUE),
    PUT(W_OBTAINED_BADGES, 1), 0, /* the event flags are zero: crt0 cleared work RAM */
    END,
};
static const unsigned char nothing[] = {END};
static const unsigned char followed_oak[] = {FLAG(FOLLOWED_OAK), WARP(0x28, 5, 10), END};
static const unsigned char got_starter[] = {
    FLAG(GOT_STARTER),
    PUT(W_PARTY_COUNT, 3), 1, CHARMANDER, 0xFF,
    PUT(W_PARTY_MON1, 44),
    CHARMANDER, HP(19), 5, 0,      /* +0 species, +1 HP, +3 box level, +4 status */
    FIRE, FIRE, 45,                /* +5 types, +7 catch rate */
    SCRATCH, GROWL, 0, 0,          /* +8 moves */
    0x30, 0x39, 0, 0, 135,         /* +12 OT id (big-endian), +14 experience (3 bytes, big-endian) */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* +17 stat experience */
    0x98, 0x76,                    /* +27 DVs */
    35, 40, 0, 0,                  /* +29 PP */
    5, HP(19),                     /* +33 level, +34 max HP */
    0, 11, 0, 10, 0, 12, 0, 11,    /* +36 attack, defense, speed, special */
    NAME(W_PARTY_MON_OT, RED),
    NAME(W_PARTY_MON_NICKS, NICK_CHARMANDER),
    END,
};
static const unsigned char rival_battle[] = {
    PUT(W_IS_IN_BATTLE, 1), 2,
    PUT(W_ENEMY_MON, 29),
    SQUIRTLE, HP(20), 0, 0,        /* +0 species, +1 HP, +3 party position, +4 status */
    WATER, WATER, 45,              /* +5 types, +7 catch rate */
    TACKLE, TAIL_WHIP, 0, 0,       /* +8 moves */
    0x76, 0x54, 5, HP(20),         /* +12 DVs, +14 level, +15 max HP */
    0, 11, 0, 12, 0, 10, 0, 11,    /* +17 attack, defense, speed, special */
    35, 30, 0, 0,                  /* +25 PP */
    PUT(W_BATTLE_MON, 29),
    CHARMANDER, HP(19), 0, 0, FIRE, FIRE, 45, SCRATCH, GROWL, 0, 0, 0x98, 0x76, 5, HP(19),
    0, 11, 0, 10, 0, 12, 0, 11, 35, 40, 0, 0,
    END,
};
static const unsigned char exchange[] = {
    PUT(W_ENEMY_MON + 1, 2), HP(12),
    PUT(W_BATTLE_MON + 1, 2), HP(16),
    PUT(W_BATTLE_MON + 25, 1), 34, /* SCRATCH's PP */
    PUT(W_PARTY_MON1 + 1, 2), HP(16),
    PUT(W_PARTY_MON1 + 4, 1), POISONED,
    PUT(W_PARTY_MON1 + 29, 1), 34,
    END,
};
static const unsigned char won_rival[] = {
    PUT(W_IS_IN_BATTLE, 1), 0,
    ZERO(W_ENEMY_MON, 29),
    FLAG(BEAT_RIVAL_LAB),
    PUT(W_PARTY_MON1 + 4, 1), 0,
    PUT(W_PARTY_MON1 + 14, 3), 0, 0, 175,
    END,
};
static const unsigned char start_menu[] = {MENU(2, 11, 6), END};
static const unsigned char viridian[] = {WARP(0x01, 5, 6), PUT(W_NUM_BAG_ITEMS, 4), 1, POTION, 1, 0xFF, END};
static const unsigned char got_parcel[] = {
    FLAG(GOT_PARCEL),
    PUT(W_NUM_BAG_ITEMS, 6), 2, POTION, 1, OAKS_PARCEL, 1, 0xFF,
    END,
};
static const unsigned char delivered[] = {
    WARP(0x28, 5, 10),
    FLAG(DELIVERED_PARCEL),
    FLAG(GOT_POKEDEX),
    PUT(W_NUM_BAG_ITEMS, 4), 1, POTION, 1, 0xFF,
    MONEY(0x00, 0x30, 0x00),
    END,
};
static const unsigned char save_prompt[] = {MENU(8, 15, 1), END};
static const unsigned char wild_battle[] = {
    WARP(0x33, 5, 6),
    PUT(W_IS_IN_BATTLE, 1), 1,
    PUT(W_ENEMY_MON, 29),
    WEEDLE, HP(14), 0, 0, BUG, POISON_TYPE, 255, POISON_STING, STRING_SHOT, 0, 0, 0x55, 0x55, 3, HP(14),
    0, 7, 0, 6, 0, 8, 0, 6, 35, 40, 0, 0,
    END,
};
static const unsigned char pewter[] = {
    PUT(W_IS_IN_BATTLE, 1), 0,
    ZERO(W_ENEMY_MON, 29),
    WARP(0x02, 5, 6),
    PUT(W_PARTY_MON1 + 1, 2), HP(21),
    PUT(W_PARTY_MON1 + 3, 1), 6,
    PUT(W_PARTY_MON1 + 14, 3), 0, 0, 240,
    PUT(W_PARTY_MON1 + 33, 3), 6, HP(21),
    END,
};
static const unsigned char beat_brock[] = {
    FLAG(BEAT_BROCK),
    PUT(W_OBTAINED_BADGES, 1), 0x01,
    MONEY(0x00, 0x43, 0x86),
    END,
};

/* README.md lists the same scenes. A moves to the next one; the last one stays. */
static const struct scene script[] = {
    {WALK, 0, 0, boot},                                        /* 0 */
    {TEXT, "OAK: Hey! Wait!", "Don't go out!", nothing},       /* 1 */
    {WALK, 0, 0, followed_oak},                                /* 2 */
    {TEXT, "OAK: Take this", "CHARMANDER!", got_starter},      /* 3 */
    {BATTLE, "BLUE wants", "to fight!", rival_battle},         /* 4 */
    {BATTLE, "CHARMANDER used", "SCRATCH!", exchange},         /* 5 */
    {WALK, 0, 0, won_rival},                                   /* 6 */
    {MENU, 0, 0, start_menu},                                  /* 7 */
    {WALK, 0, 0, viridian},                                    /* 8 */
    {TEXT, "Here is OAK's", "PARCEL.", got_parcel},            /* 9 */
    {WALK, 0, 0, delivered},                                   /* 10 */
    {YESNO, "Save the game?", 0, save_prompt},                 /* 11 */
    {BATTLE, "Wild WEEDLE", "appeared!", wild_battle},         /* 12 */
    {WALK, 0, 0, pewter},                                      /* 13 */
    {TEXT, "Received the", "BOULDERBADGE!", beat_brock},       /* 14 */
    {WALK, 0, 0, nothing},                                     /* 15 */
};
#define LAST_SCENE (sizeof script / sizeof script[0] - 1)

/* ---- Engine ------------------------------------------------------------------------------------------ */

static unsigned char scene;      /* index into `script` */
static unsigned char last_keys;  /* the buttons held last frame, to see new presses */
static unsigned char vram_dirty; /* wTileMap changed: copy it to the background map at the next VBlank */

static void run_writes(const unsigned char *w)
{
    unsigned char op, n, i;
    unsigned char *at;
    const char *name;
    while ((op = *w++) != END) {
        at = (unsigned char *)(w[0] | (unsigned int)w[1] << 8);
        n = w[2];
        w += 3;
        if (op == OP_PUT) {
            memcpy(at, w, n);
            w += n;
        } else if (op == OP_ZERO)
            fill(at, 0, n);
        else if (op == OP_FLAG)
            *at |= n;
        else { /* OP_NAME: the name, then terminators up to 11 bytes */
            name = names[n];
            for (i = 0; i < 11; i++)
                at[i] = *name ? charcode(*name++) : TERMINATOR;
        }
    }
}

/* Sprite state of the player (entry 0) and the room's character (entry 1); entries 2-15 stay zero. */
static void place_sprites(void)
{
    RAM(W_SPRITE_DATA2 + 4) = RAM(W_Y_COORD) + 4;
    RAM(W_SPRITE_DATA2 + 5) = RAM(W_X_COORD) + 4;
    RAM(W_SPRITE_DATA1 + 0x10) = here.npc_picture;
    RAM(W_SPRITE_DATA1 + 0x12) = 0; /* image index: shown */
    RAM(W_SPRITE_DATA2 + 0x14) = here.npc_y + 4;
    RAM(W_SPRITE_DATA2 + 0x15) = here.npc_x + 4;
}

/* The room around the player, 2x2 tiles a cell; the player's cell is columns 8-9, rows 8-9. */
static void draw_room(void)
{
    unsigned char *at = (unsigned char *)W_TILE_MAP, *src;
    unsigned char y = RAM(W_Y_COORD) - 4, rows = 9; /* the map row drawn, from the top one */
    do {
        src = row_tiles[row_kind(y++)] + (RAM(W_X_COORD) << 1); /* cell x - 4, after PAD_LEFT cells */
        memcpy(at, src, 20);
        memcpy(at + 20, src, 20);
        at += 40;
    } while (--rows);
}

static void draw_cursor(void)
{
    *tile_at(RAM(W_TOP_MENU_ITEM_X), RAM(W_TOP_MENU_ITEM_Y) + (RAM(W_CURRENT_MENU_ITEM) << 1)) = CURSOR;
}

static void draw_start_menu(void)
{
    box(10, 0, 19, 15);
    put_text(12, 2, "POK\351DEX");
    put_text(12, 4, "POK\351MON");
    put_text(12, 6, "ITEM");
    put_text(12, 8, names[RED]);
    put_text(12, 10, "SAVE");
    put_text(12, 12, "OPTION");
    put_text(12, 14, "EXIT");
    draw_cursor();
}

static void draw_yes_no(void)
{
    box(14, 7, 19, 11);
    put_text(16, 8, "YES");
    put_text(16, 10, "NO");
    draw_cursor();
}

/* Compose wTileMap for the current scene and set wFontLoaded bit 0 for a text box or menu outside battle. */
static void compose(void)
{
    const struct scene *s = &script[scene];
    if (s->screen == BATTLE) /* no battle graphics: the rows above the text box are blank */
        fill((unsigned char *)W_TILE_MAP, BLANK, 12 * 20);
    else
        draw_room();
    if (s->line1) {
        box(0, 12, 19, 17);
        put_text(1, 14, s->line1);
        if (s->line2)
            put_text(1, 16, s->line2);
    }
    if (s->screen == MENU)
        draw_start_menu();
    else if (s->screen == YESNO)
        draw_yes_no();
    if (s->screen == TEXT || s->screen == MENU || s->screen == YESNO)
        RAM(W_FONT_LOADED) |= 0x01;
    else
        RAM(W_FONT_LOADED) &= ~0x01;
    vram_dirty = 1;
}

static void enter(unsigned char n)
{
    scene = n;
    run_writes(script[n].writes);
    find_room();
    place_sprites();
    compose();
}

/* One cell in a direction: always turn; move when the cell is floor and the other character is not on it. */
static void walk(unsigned char facing, unsigned char dx, unsigned char dy)
{
    unsigned char x = RAM(W_X_COORD) + dx, y = RAM(W_Y_COORD) + dy; /* dx, dy: 0xFF is -1 */
    RAM(W_PLAYER_FACING) = facing;
    if (cell(x, y) == FLOOR && !(x == here.npc_x && y == here.npc_y)) {
        RAM(W_X_COORD) = x;
        RAM(W_Y_COORD) = y;
        place_sprites();
    }
    compose();
}

/* UP/DOWN in a menu: within 0..wMaxMenuItem, no wrapping. Only the cursor's tiles change. */
static void move_cursor(unsigned char up)
{
    unsigned char item = RAM(W_CURRENT_MENU_ITEM);
    if (up ? item == 0 : item == RAM(W_MAX_MENU_ITEM))
        return;
    *tile_at(RAM(W_TOP_MENU_ITEM_X), RAM(W_TOP_MENU_ITEM_Y) + (item << 1)) = BLANK;
    RAM(W_CURRENT_MENU_ITEM) = up ? item - 1 : item + 1;
    draw_cursor();
    vram_dirty = 1;
}

#define KEY_DOWN 0x80
#define KEY_UP 0x40
#define KEY_LEFT 0x20
#define KEY_RIGHT 0x10
#define KEY_A 0x01

/* New presses only (held last frame = not new), one action per frame: A first. B, START, SELECT do nothing. */
static void act(unsigned char pressed)
{
    unsigned char screen = script[scene].screen;
    if (pressed & KEY_A) {
        if (scene < LAST_SCENE)
            enter(scene + 1);
    } else if (screen == WALK) {
        if (pressed & KEY_DOWN)
            walk(FACE_DOWN, 0, 1);
        else if (pressed & KEY_UP)
            walk(FACE_UP, 0, 0xFF);
        else if (pressed & KEY_LEFT)
            walk(FACE_LEFT, 0xFF, 0);
        else if (pressed & KEY_RIGHT)
            walk(FACE_RIGHT, 1, 0);
    } else if (screen == MENU || screen == YESNO) {
        if (pressed & (KEY_UP | KEY_DOWN))
            move_cursor(pressed & KEY_UP);
    }
}

/* wTileMap to the background map, with the player and the room's character drawn over it. LCD off. */
static void show(void)
{
    unsigned char dx, dy;
    copy_tile_map();
    if (script[scene].screen == BATTLE)
        return;
    draw_figure(8, 8, PLAYER_TILES + RAM(W_PLAYER_FACING)); /* facing 0, 4, 8, 12: four tiles each */
    dx = here.npc_x - RAM(W_X_COORD) + 4; /* the NPC's cell on screen: 0-9, 0-8 when visible */
    dy = here.npc_y - RAM(W_Y_COORD) + 4;
    if (dx < 10 && dy < 9)
        draw_figure(dx << 1, dy << 1, NPC_TILES);
}

void main(void)
{
    unsigned char now;
    video_init();
    RAM(W_TILESET_COLLISION_PTR) = (unsigned int)walkable & 0xFF;
    RAM(W_TILESET_COLLISION_PTR + 1) = (unsigned int)walkable >> 8;
    enter(0);
    show();
    vram_dirty = 0;
    lcd_on();
    last_keys = keys(); /* a button already held at power-on is not a press */
    start_frames();
    for (;;) {
        /* VBlank: every frame starts here, so all work is in step with the frames. */
        __asm__("halt");
        __asm__("nop");
        if (vram_dirty) {
            lcd_off(); /* the copy is longer than VBlank: the LCD is off for the rest of this frame */
            show();
            lcd_on();
            vram_dirty = 0;
        }
        now = keys();
        if (now & ~last_keys)
            act(now & ~last_keys);
        last_keys = now;
    }
}
