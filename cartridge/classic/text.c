/* Animus Quest - dialog text buffer (0xC020, two 18-char lines). */
#include "hardware.h"

void text_clear(void)
{
    u8 i;
    for (i = 0; i < 36; i++)
        st.text[i] = ' ';
}

/* Copy the current page (st.dlg, st.page) into the text buffer. */
void text_page(void)
{
    const char *s = page_text[dlg_first[st.dlg] + st.page];
    u8 i;
    for (i = 0; i < 36; i++)
        st.text[i] = s[i];
}
