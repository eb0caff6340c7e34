/* Animus Quest 2 - default vocabulary. */
#include "hardware.h"
#include "vocab.h"

const char *const v_adj[V_NADJ] = {
    "MOSSY", "OLD", "GREEN", "DARK", "MISTY", "WILD", "RED", "CALM",
    "COLD", "SUNNY", "DEEP", "HIGH", "LOST", "QUIET", "WINDY", "GREY",
};
const char *const v_noun[5][V_NNOUN] = {
    {"TOWN", "HAVEN", "BURG", "STEAD", "HAMLET", "PORT", "FORD", "CROSS"},
    {"WOODS", "GROVE", "HOLT", "GLADE", "COPSE", "WEALD", "PINES", "OAKS"},
    {"CRAGS", "HILLS", "CAVE", "PEAKS", "RIDGE", "CLIFFS", "QUARRY", "TORS"},
    {"MARSH", "LAKE", "FEN", "POOLS", "BOG", "SPRING", "MERE", "BAY"},
    {"MAZE", "WARREN", "TANGLE", "KNOT", "ROOTS", "HEDGES", "WEB", "COILS"},
};
const char v_home[12] = {'M', 'Y', ' ', 'H', 'O', 'U', 'S', 'E', ' ', ' ', ' ', ' '};
const char *const v_npc[8] = {"MOTHER", "ELDER", "SMITH", "SAGE", "HERMIT", "INNKEEPER", "VILLAGER", "GUARDIAN"};
const char *const v_item[5] = {"BRONZE KEY", "SILVER KEY", "GOLD KEY", "SWORD", "CROWN"};
const char *const v_gate[3] = {"BRONZE GATE", "SILVER GATE", "GOLD GATE"};
const char *const v_obj[3] = {"WELL", "CHEST", "LEVER"};

const char *const v_dlg[D_COUNT] = {
    0,
    "$s: TAKE CARE OUT THERE. THE ELDER WAITS IN TOWN.", /* MOTHER */
    0,
    "$s: GO ON, BE BRAVE.",                              /* ELDER_AGAIN */
    "$s: THE $k! THE LAND IS SAVED. THANK YOU, HERO.",   /* ELDER_END */
    0,
    "$s: A GOOD BLADE HALVES ANY FIGHT.",                /* SMITH_AGAIN */
    0,
    "$s: THE SEAL STILL WAITS FOR ITS LEVER.",           /* SAGE_AGAIN */
    0,
    "$s: LEAVE ME TO MY THOUGHTS.",                      /* HERMIT_AGAIN */
    0,                                                   /* VILLAGER: v_villager */
    "$s: REST WELL. YOUR HP IS FULL.",                   /* INN */
    "WELCOME TO $b.",                                    /* SIGN */
    "YOU SEARCH THE $o. NOTHING.",                       /* NOTHING */
    "YOU FOUND THE $k!",                                 /* FOUND_SWORD */
    "YOU FOUND THE $k!",                                 /* FOUND_BRONZE */
    "YOU FOUND THE $k!",                                 /* FOUND_GOLD */
    "THE $o IS EMPTY NOW.",                              /* EMPTY */
    "IT WILL NOT MOVE.",                                 /* LEVER_STUCK */
    "YOU PULL THE $o. FAR AWAY A SEAL BREAKS OPEN.",     /* LEVER_PULL */
    "THE $o IS ALREADY DOWN.",                           /* LEVER_DONE */
    "THE $g IS LOCKED.",
    "THE $g IS LOCKED.",
    "THE $g IS LOCKED.",
    "THE $k TURNS. THE $g OPENS!",
    "THE $k TURNS. THE $g OPENS!",
    "THE $k TURNS. THE $g OPENS!",
    "A SEALED DOOR. IT HAS NO KEYHOLE.",                 /* SEALED */
    "$s: NONE SHALL PASS!",
    "$s: TURN BACK, OR FIGHT!",
    "$s: THIS IS THE LAST TRIAL.",
    "THE $s FADES. YOU GET A GEM AND THE $k!",
    "THE $s FADES. YOU GET A GEM!",
    "THE $s FADES. YOU GET A GEM!",
    "THREE GEMS ARE NEEDED.",                            /* ALTAR_NEED */
    "THE GEMS SHINE. YOU TAKE THE $k!",                  /* ALTAR_CROWN */
    "THE ALTAR IS EMPTY.",                               /* ALTAR_DONE */
    "YOU FAINTED ... YOU WAKE UP AT THE INN.",           /* FAINTED */
};
const char *const v_hint_item[V_NHINTFMT] = {
    "$s: LISTEN. THE $k LIES IN THE $d$o $p.",
    "$s: HEAR ME WELL. THE $k WAS HIDDEN IN THE $d$o $p.",
    "$s: AN OLD TALE SAYS THE $k SLEEPS IN THE $d$o $p.",
    "$s: SEEK THE $d$o $p. THE $k IS KEPT THERE.",
};
const char *const v_hint_lever[V_NHINTFMT] = {
    "$s: THE SEALED DOOR OPENS WITH THE $d$o $p.",
    "$s: ONLY THE $d$o $p WILL MOVE. PULL IT.",
    "$s: PULL THE $d$o $p AND THE SEAL BREAKS.",
    "$s: I KNOW THIS. THE TRUE $o IS THE $d$o $p.",
};
const char *const v_by_name[V_NBYNAME] = {"IN $b", "OF $b"};
const char *const v_by_rel[V_NBYREL] = {"IN THE LAND $r OF $b", "OF THE PLACE $r OF $b", "IN THE AREA $r OF $b"};
const char *const v_villager[4] = {
    "$s: NICE DAY, IS IT NOT?",
    "$s: THE ELDER KNOWS MANY THINGS.",
    "$s: I HEARD OF GATES OF BRONZE, SILVER AND GOLD.",
    "$s: THE INN WILL HEAL YOU.",
};
