;; Animus Quest 2 - start-up code (sdasgb).
;; Vectors, cartridge entry at 0x100, RAM clearing, global initialisers, main.

        .module crt0
        .globl  _main

        .area   _HEADER (ABS)

        ;; RST vectors: unused
        .org    0x00
        ret
        .org    0x08
        ret
        .org    0x10
        ret
        .org    0x18
        ret
        .org    0x20
        ret
        .org    0x28
        ret
        .org    0x30
        ret
        .org    0x38
        ret

        ;; Interrupt vectors.  Only VBlank is enabled; the main loop
        ;; sleeps with halt and does its work after the interrupt returns.
        .org    0x40            ; VBlank
        reti
        .org    0x48            ; LCD STAT
        reti
        .org    0x50            ; timer
        reti
        .org    0x58            ; serial
        reti
        .org    0x60            ; joypad
        reti

        ;; Cartridge entry point; 0x104-0x14F is the header written by makebin.
        .org    0x100
        nop
        jp      start

        .org    0x150
start:
        di
        ld      sp, #0xE000

        ;; Sample the buttons right away: a START press that begins while
        ;; the game is still starting up must not be lost (see main.c).
        ld      a, #0x10        ; select the action buttons
        ldh     (0x00), a
        ldh     a, (0x00)
        ldh     a, (0x00)
        cpl
        and     a, #0x0F
        ld      e, a            ; e = buttons held during start-up
        ld      a, #0x30
        ldh     (0x00), a

        ;; Zero work RAM 0xC000-0xDFFF (256 x 32 bytes, unrolled for speed).
        ld      hl, #0xC000
        xor     a
        ld      b, a
1$:
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        ld      (hl+), a
        dec     b
        jr      nz, 1$

        ;; Zero high RAM 0xFF80-0xFFFE.
        ld      hl, #0xFF80
        ld      c, #0x7F
2$:
        ld      (hl+), a
        dec     c
        jr      nz, 2$

        ;; Keep the start-up buttons in the RAM map (0xC057, boot_keys).
        ld      a, e
        ld      (0xC057), a

        call    gsinit
        call    _main
3$:
        halt
        nop
        jr      3$

        ;; Order of the relocatable areas for the linker.
        .area   _CODE
        .area   _HOME
        .area   _INITIALIZER
        .area   _GSINIT
        .area   _GSFINAL
        .area   _DATA
        .area   _INITIALIZED
        .area   _BSEG
        .area   _BSS
        .area   _HEAP

        ;; Copy explicitly initialised globals (the game has none; kept for safety).
        .area   _GSINIT
gsinit::
        ld      de, #s__INITIALIZED
        ld      hl, #s__INITIALIZER
        ld      bc, #l__INITIALIZER
4$:
        ld      a, b
        or      a, c
        jr      z, 5$
        ld      a, (hl+)
        ld      (de), a
        inc     de
        dec     bc
        jr      4$
5$:
        .area   _GSFINAL
        ret
