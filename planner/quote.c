/* Untrusted text made safe to show in a message. */
#include "quote.h"

#include <stdio.h>

/* Printable rendering of untrusted text for error messages: quotes, \xNN for the rest. */
void ls_quote(const char *text, char *buf, size_t size)
{
    if (!text)
        text = "";
    size_t o = 0;
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)text; *p && o + 6 < size; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
            buf[o++] = (char)*p;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
    }
    if (o + 2 <= size)
        buf[o++] = '"';
    buf[o < size ? o : size - 1] = '\0';
}
