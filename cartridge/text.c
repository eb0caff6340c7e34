/* Animus Quest 2 - dialog text: composed from the vocabulary, word-wrapped into pages of two 18-char lines. */
#include "hardware.h"
#include "vocab.h"

#define MAX_PAGES 10
#define TBUF 200

static char tbuf[TBUF];
static u8 tlen;
static char pages[MAX_PAGES][36];

/* what the format codes stand for in the text being composed */
static u8 c_speaker, c_item, c_gate, c_obj, c_area, c_dir, c_syn, c_rel, c_mode, c_phrase, c_target;

static const char *const dir_n[4] = {"NORTHERN", "NORTHMOST", "UPPER", "TOP"};
static const char *const dir_s[3] = {"SOUTHERN", "LOWER", "BOTTOM"};
static const char *const dir_w[3] = {"WESTERN", "WESTMOST", "LEFT"};
static const char *const dir_e[3] = {"EASTERN", "EASTMOST", "RIGHT"};
static const char *const side_word[4] = {"SOUTH", "NORTH", "WEST", "EAST"};

void text_clear(void)
{
    u8 i;
    for (i = 0; i < 36; i++)
        st.text[i] = ' ';
}

static void emit(char c)
{
    if (tlen < TBUF)
        tbuf[tlen++] = c;
}

static void emits(const char *s)
{
    while (*s)
        emit(*s++);
}

static void emit_name(u8 area)
{
    const char *n = AREAS[area].name;
    u8 i, len = 12;
    while (len && n[len - 1] == ' ')
        len--;
    for (i = 0; i < len; i++)
        emit(n[i]);
}

static void emit_dir(void)
{
    switch (c_dir) {
    case 1: emits(dir_n[c_syn % 4]); break;
    case 2: emits(dir_s[c_syn % 3]); break;
    case 3: emits(dir_w[c_syn % 3]); break;
    case 4: emits(dir_e[c_syn % 3]); break;
    default: return;
    }
    emit(' ');
}

static void expand(const char *f)
{
    char c;
    while ((c = *f++)) {
        if (c != '$') {
            emit(c);
            continue;
        }
        switch (*f++) {
        case 's': emits(v_npc[c_speaker]); break;
        case 'k': emits(v_item[c_item]); break;
        case 'g': emits(v_gate[c_gate]); break;
        case 'o': emits(v_obj[c_obj]); break;
        case 'd': emit_dir(); break;
        case 'b': emit_name(c_area); break;
        case 'r': emits(side_word[c_rel]); break;
        case 'p':
            if (c_mode) {
                c_area = c_area; /* set by the caller: the named neighbour */
                expand(v_by_rel[c_phrase % V_NBYREL]);
            } else {
                c_area = c_target;
                expand(v_by_name[c_phrase % V_NBYNAME]);
            }
            break;
        }
    }
}

/* Word-wrap tbuf into pages; returns the page count. */
static u8 wrap(void)
{
    u8 np = 0, line = 0, col = 0, i = 0, j, k, len;
    char *p = pages[0];
    for (k = 0; k < 36; k++)
        p[k] = ' ';
    while (i < tlen) {
        while (i < tlen && tbuf[i] == ' ')
            i++;
        if (i >= tlen)
            break;
        for (j = i; j < tlen && tbuf[j] != ' '; j++)
            ;
        len = j - i;
        if (len > 18)
            len = 18;
        if (col && col + 1 + len > 18) {
            col = 0;
            if (++line == 2 && np < MAX_PAGES - 1) {
                line = 0;
                p = pages[++np];
                for (k = 0; k < 36; k++)
                    p[k] = ' ';
            } else if (line == 2) {
                break;
            }
        }
        if (col)
            col++;
        for (k = 0; k < len; k++)
            p[line * 18 + col + k] = tbuf[i + k];
        col += len;
        i = j;
    }
    return np + 1;
}

static u8 obj_of_tile(u8 t)
{
    return t == T_WELL ? 0 : t == T_CHEST ? 1 : 2;
}

static const char *hint_text(u8 h, u8 speaker, u8 item)
{
    Hint *hp = &HINTS[h];
    Feat *f = &FEATS[hp->feat];
    c_speaker = speaker;
    c_item = item;
    c_obj = obj_of_tile(f->tile);
    c_dir = hp->dir;
    c_syn = hp->syn;
    c_mode = hp->mode;
    c_phrase = hp->phrase;
    c_target = f->area;
    c_area = hp->ref;
    c_rel = hp->rel;
    return f->tile == T_LEVER ? v_hint_lever[hp->fmt] : v_hint_item[hp->fmt];
}

/* Compose dialog `id` (argument: a feature index, or an area for signs) into pages. */
u8 compose(u8 id, u8 arg)
{
    const char *f = v_dlg[id];
    Feat *ft = &FEATS[arg];
    c_speaker = S_ELDER;
    c_item = 4;
    c_gate = 0;
    c_obj = 0;
    c_area = WHEAD->town;
    switch (id) {
    case D_MOTHER: c_speaker = S_MOTHER; break;
    case D_ELDER_HINT: f = hint_text(0, S_ELDER, 0); break;
    case D_SMITH_HINT: f = hint_text(1, S_SMITH, 3); break;
    case D_SAGE_HINT: f = hint_text(2, S_SAGE, 0); break;
    case D_HERMIT_HINT: f = hint_text(3, S_HERMIT, 2); break;
    case D_SMITH_AGAIN: c_speaker = S_SMITH; break;
    case D_SAGE_AGAIN: c_speaker = S_SAGE; c_obj = 2; break;
    case D_HERMIT_AGAIN: c_speaker = S_HERMIT; break;
    case D_VILLAGER: c_speaker = S_VILLAGER; f = v_villager[ft->aux & 3]; break;
    case D_INN: c_speaker = S_INN; break;
    case D_SIGN: c_area = arg; break;
    case D_NOTHING:
    case D_EMPTY: c_obj = obj_of_tile(ft->tile); break;
    case D_FOUND_SWORD: c_item = 3; break;
    case D_FOUND_BRONZE: c_item = 0; break;
    case D_FOUND_GOLD: c_item = 2; break;
    case D_LEVER_PULL:
    case D_LEVER_DONE: c_obj = 2; break;
    default:
        if (id >= D_LOCKED && id < D_SEALED) {
            c_gate = (id - D_LOCKED) % 3;
            c_item = c_gate;
        } else if (id >= D_CHALLENGE && id < D_ALTAR_NEED) {
            c_speaker = S_GUARDIAN;
            c_item = 1;
        }
        break;
    }
    tlen = 0;
    expand(f);
    return wrap();
}

void show_page(void)
{
    const char *s = pages[st.page];
    u8 i;
    for (i = 0; i < 36; i++)
        st.text[i] = s[i];
}

void open_dialog(u8 id, u8 arg)
{
    st.dlg = id;
    st.dlg_arg = arg;
    st.page_count = compose(id, arg);
    st.page = 0;
    st.dlg_open = 1;
    st.mode = MODE_DIALOG;
    show_page();
    need_redraw = 1;
}

/* Page count of every dialog, into the world block (the solver counts its A presses with it).
   Only the hints depend on the world; the others are counted once at power-on. */
static u8 fixed_pages[D_COUNT];

void count_pages(void)
{
    u8 id;
    for (id = 1; id < D_COUNT; id++) {
        if (id == D_ELDER_HINT || id == D_SMITH_HINT || id == D_SAGE_HINT || id == D_HERMIT_HINT)
            DPAGES[id] = compose(id, 0);
        else
            DPAGES[id] = fixed_pages[id];
    }
}

void count_fixed_pages(void)
{
    u8 id;
    for (id = 1; id < D_COUNT; id++)
        fixed_pages[id] = compose(id, 0);
}
