;; PKMN LAYOUT start-up (sdasgb): vectors, the jump from the cartridge entry, a zeroed work RAM, then main.
;; The cartridge header at 0x104-0x14F is filled in by makebin (build.sh).

        .module crt0
        .globl  _main

        .area   _HEADER (ABS)

        .org    0x40            ; VBlank: main sleeps in halt until it comes; the handler has nothing to do
        reti
        .org    0x48            ; STAT, timer, serial, joypad: never enabled
        reti
        .org    0x50
        reti
        .org    0x58
        reti
        .org    0x60
        reti

        .org    0x100           ; the boot ROM jumps here
        nop
        jp      init

        .org    0x150
init:
        di
        ld      sp, #0xDFFF
        ;; Zero work RAM below the stack, 0xC000-0xDEFF: every Pokémon address the script does not write reads
        ;; as 0 (no event flags, no battle, empty sprite entries), and C zeroes its statics.
        ld      hl, #0xC000
        ld      bc, #0x1F00
clear:
        xor     a
        ld      (hl+), a
        dec     bc
        ld      a, b
        or      a, c
        jr      nz, clear
        call    copy_initializers
        call    _main
hang:
        halt
        nop
        jr      hang

        ;; The linker lays the relocatable areas out in this order.
        .area   _CODE
        .area   _INITIALIZER
        .area   _GSINIT
        .area   _GSFINAL
        .area   _DATA
        .area   _INITIALIZED
        .area   _BSEG
        .area   _BSS
        .area   _HEAP

        .area   _GSINIT
copy_initializers:              ; initialised globals (there are none today): copy their values from ROM
        ld      de, #s__INITIALIZED
        ld      hl, #s__INITIALIZER
        ld      bc, #l__INITIALIZER
next:
        ld      a, b
        or      a, c
        jr      z, done
        ld      a, (hl+)
        ld      (de), a
        inc     de
        dec     bc
        jr      next
done:
        .area   _GSFINAL
        ret
