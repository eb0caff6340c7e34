/* Animus Quest 2 - the words of the game.  vocab_std.c is the default, vocab_alt.c the VOCAB=alt build.
   Format codes in the texts: $s speaker, $k item, $g gate, $o object, $d direction word, $p area phrase,
   $b area name, $r side word. */
#ifndef VOCAB_H
#define VOCAB_H

#define V_NADJ 16
#define V_NNOUN 8
#define V_NHINTFMT 4
#define V_NBYNAME 2
#define V_NBYREL 3

/* speakers */
#define S_MOTHER 0
#define S_ELDER 1
#define S_SMITH 2
#define S_SAGE 3
#define S_HERMIT 4
#define S_INN 5
#define S_VILLAGER 6
#define S_GUARDIAN 7

extern const char *const v_adj[V_NADJ];              /* at most 5 letters */
extern const char *const v_noun[5][V_NNOUN];         /* town, trees, rocks, water, maze; at most 6 letters */
extern const char v_home[12];                        /* HOME's name, space padded */
extern const char *const v_npc[8];
extern const char *const v_item[5];                  /* bronze key, silver key, gold key, sword, crown */
extern const char *const v_gate[3];
extern const char *const v_obj[3];                   /* well, chest, lever */
extern const char *const v_dlg[D_COUNT];             /* 0 for the hint dialogs */
extern const char *const v_hint_item[V_NHINTFMT];
extern const char *const v_hint_lever[V_NHINTFMT];
extern const char *const v_by_name[V_NBYNAME];
extern const char *const v_by_rel[V_NBYREL];
extern const char *const v_villager[4];

#endif
