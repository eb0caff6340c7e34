/* Animus Quest 2 - the alternative vocabulary (VOCAB=alt): same mechanics, other words. */
#include "hardware.h"
#include "vocab.h"

const char *const v_adj[V_NADJ] = {
    "AMBER", "PALE", "BLUE", "DUSKY", "HAZY", "FERAL", "ASHEN", "BARE",
    "FROST", "LIGHT", "LOW", "TALL", "EMPTY", "STILL", "RAINY", "DUSTY",
};
const char *const v_noun[5][V_NNOUN] = {
    {"VILLE", "MARKET", "WALLS", "YARD", "SQUARE", "HARBOR", "BRIDGE", "CORNER"},
    {"FOREST", "JUNGLE", "SCRUB", "BRUSH", "THORNS", "BIRCH", "ELMS", "FERNS"},
    {"MESA", "BLUFFS", "GROTTO", "SPIRES", "SCREE", "SLABS", "DUNES", "BUTTE"},
    {"DELTA", "LAGOON", "SWAMP", "REEDS", "WADE", "RAPIDS", "TARN", "COVE"},
    {"LOOPS", "TWISTS", "BRIARS", "VINES", "CRYPT", "BURROW", "SNARL", "HALLS"},
};
const char v_home[12] = {'O', 'U', 'R', ' ', 'C', 'O', 'T', 'T', 'A', 'G', 'E', ' '};
const char *const v_npc[8] = {"AUNT", "CHIEF", "FORGER", "SEER", "RECLUSE", "HOST", "LOCAL", "WARDEN"};
const char *const v_item[5] = {"COPPER RUNE", "MOON RUNE", "SUN RUNE", "BLADE", "CIRCLET"};
const char *const v_gate[3] = {"COPPER DOOR", "MOON DOOR", "SUN DOOR"};
const char *const v_obj[3] = {"FOUNTAIN", "CRATE", "SWITCH"};

const char *const v_dlg[D_COUNT] = {
    0,
    "$s: BE SAFE, DEAR. GO SEE THE CHIEF.",
    0,
    "$s: YOUR ROAD IS LONG. WALK IT.",
    "$s: YOU BRING THE $k! OUR TROUBLES ARE OVER. WELL DONE.",
    0,
    "$s: STEEL BEATS BARE HANDS.",
    0,
    "$s: FIND THE $o I SPOKE OF.",
    0,
    "$s: GO AWAY NOW.",
    0,
    "$s: SLEEP A WHILE. YOU FEEL STRONG AGAIN.",
    "THIS IS $b.",
    "THE $o HOLDS ONLY DUST.",
    "INSIDE: THE $k! YOU TAKE IT.",
    "INSIDE: THE $k! YOU TAKE IT.",
    "INSIDE: THE $k! YOU TAKE IT.",
    "NOTHING LEFT IN THE $o.",
    "IT WILL NOT MOVE.",
    "CLUNK! THE $o GIVES WAY. SOMEWHERE A SEAL IS UNDONE.",
    "THE $o WAS THROWN ALREADY.",
    "THE $g WILL NOT BUDGE.",
    "THE $g WILL NOT BUDGE.",
    "THE $g WILL NOT BUDGE.",
    "THE $k GLOWS. THE $g SWINGS OPEN!",
    "THE $k GLOWS. THE $g SWINGS OPEN!",
    "THE $k GLOWS. THE $g SWINGS OPEN!",
    "A DOOR SEALED BY MAGIC. NO LOCK AT ALL.",
    "$s: GO NO FURTHER!",
    "$s: PROVE YOUR STRENGTH!",
    "$s: FACE ME, IF YOU DARE.",
    "THE $s VANISHES, LEAVING A GEM AND THE $k.",
    "THE $s VANISHES, LEAVING A GEM.",
    "THE $s VANISHES, LEAVING A GEM.",
    "THREE GEMS ARE NEEDED.",
    "THE GEMS BLAZE. THE $k IS YOURS!",
    "NOTHING MORE HERE.",
    "YOU FAINTED ... THE HOST TENDED YOU.",
};
const char *const v_hint_item[V_NHINTFMT] = {
    "$s: PAY HEED. YOU WILL FIND THE $k IN THE $d$o $p.",
    "$s: LONG AGO THE $k WAS PUT IN THE $d$o $p.",
    "$s: LOOK INTO THE $d$o $p FOR THE $k.",
    "$s: RUMOR HAS IT THE $k IS INSIDE THE $d$o $p.",
};
const char *const v_hint_lever[V_NHINTFMT] = {
    "$s: THROW THE $d$o $p TO UNDO THE SEAL.",
    "$s: THE SEAL ANSWERS TO THE $d$o $p.",
    "$s: OF ALL SWITCHES, THE $d$o $p IS THE TRUE ONE.",
    "$s: GO TO THE $d$o $p. THAT ONE BREAKS THE SEAL.",
};
const char *const v_by_name[V_NBYNAME] = {"AT $b", "WITHIN $b"};
const char *const v_by_rel[V_NBYREL] = {"IN THE REGION $r OF $b", "JUST $r OF $b", "IN THE ZONE $r OF $b"};
const char *const v_villager[4] = {
    "$s: FINE WEATHER TODAY.",
    "$s: ASK THE CHIEF FOR ADVICE.",
    "$s: THREE DOORS: COPPER, MOON, SUN.",
    "$s: THE HOST LETS YOU SLEEP.",
};
