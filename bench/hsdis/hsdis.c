/*
 * A minimal HotSpot disassembler plug-in ("hsdis") on top of the capstone library, so that
 * -XX:+PrintAssembly and -XX:CompileCommand=print show the machine code C2 makes of a kernel
 * (register spills, folded loads, broadcasts). HotSpot looks up decode_instructions_virtual in
 * hsdis-amd64.so; this implements the part of that interface it needs: disassemble
 * [start_va, end_va) and report each instruction's start and end through the event callback
 * so HotSpot can interleave its own comments (oop maps, safepoint polls, source lines).
 * Built and used by bench/disasm.sh; a development tool, not part of the library.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <capstone/capstone.h>

typedef void *(*event_callback)(void *stream, const char *event, void *arg);
typedef int (*printf_callback)(void *stream, const char *format, ...);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback event, void *event_stream, printf_callback print,
                                  void *print_stream, const char *options, int newline) {
    (void) end_va;
    (void) options;
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        print(print_stream, "hsdis: capstone failed to open\n");
        return (void *) start_va;
    }
    cs_insn *insn;
    size_t count = cs_disasm(handle, buffer, length, start_va, 0, &insn);
    uintptr_t end = start_va;
    for (size_t i = 0; i < count; i++) {
        if (event != NULL) {
            event(event_stream, "insn", (void *) (uintptr_t) insn[i].address);
        }
        print(print_stream, "%s\t%s", insn[i].mnemonic, insn[i].op_str);
        end = insn[i].address + insn[i].size;
        if (event != NULL) {
            event(event_stream, "/insn", (void *) end);
        }
        if (newline) {
            print(print_stream, "\n");
        }
    }
    if (count > 0) {
        cs_free(insn, count);
    }
    cs_close(&handle);
    return (void *) end;
}
