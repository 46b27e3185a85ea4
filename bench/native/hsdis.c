// A disassembler plugin for HotSpot's -XX:+PrintAssembly, so that the machine code C2 makes of a
// Vector API loop can be read on a machine without a JDK-built hsdis (Temurin ships none).
//
// HotSpot looks for a shared library named hsdis-<arch>.so (in the JDK's lib directories, then on
// LD_LIBRARY_PATH) and calls its decode_instructions_virtual once per code blob. This one decodes
// with the Capstone library (Debian: apt-get install libcapstone-dev) in Intel syntax and reports
// each instruction's address range to HotSpot, which interleaves its own comments (bytecode
// positions, inlined methods, oop maps, the "{poll}" of a safepoint).
//
// Build: gcc -O2 -shared -fPIC -o hsdis-amd64.so bench/native/hsdis.c -lcapstone
// Run:   LD_LIBRARY_PATH=<directory of hsdis-amd64.so> java --add-modules jdk.incubator.vector
//          -XX:+UnlockDiagnosticVMOptions '-XX:CompileCommand=print,org.segloss.tensor.simd.VectorKernels::softmaxBlocks' ...
//        (one command line)
// Printing slows the compiler threads and so changes when methods are compiled: a measurement
// taken while printing is not one of the unprinted program (spec/performance.md, seventh session).
#include <capstone/capstone.h>
#include <stdint.h>
#include <stdio.h>

// The two callbacks HotSpot hands over: events mark where an instruction starts and ends (the
// argument is its address), and printf writes text into HotSpot's output stream.
typedef void *(*event_fn)(void *stream, const char *event, void *arg);
typedef int (*print_fn)(void *stream, const char *format, ...);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_fn event, void *event_stream, print_fn print, void *print_stream,
                                  const char *options, int newline) {
    (void) end_va;
    (void) options;   // always Intel syntax; HotSpot passes -XX:PrintAssemblyOptions here
    if (print == NULL) {
        print = (print_fn) fprintf;
        if (print_stream == NULL) print_stream = stdout;
    }
    csh handle;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) {
        print(print_stream, "hsdis: capstone could not open an x86-64 decoder\n");
        return NULL;
    }
    cs_option(handle, CS_OPT_SYNTAX, CS_OPT_SYNTAX_INTEL);
    cs_option(handle, CS_OPT_SKIPDATA, CS_OPT_ON);   // constants inside a code blob: shown as data, then go on
    cs_insn *insn;
    size_t count = cs_disasm(handle, buffer, length, start_va, 0, &insn);
    for (size_t i = 0; i < count; i++) {
        if (event != NULL) event(event_stream, "insn", (void *) (uintptr_t) insn[i].address);
        print(print_stream, "%s\t%s", insn[i].mnemonic, insn[i].op_str);
        if (event != NULL) event(event_stream, "/insn", (void *) (uintptr_t) (insn[i].address + insn[i].size));
        if (newline) print(print_stream, "\n");
    }
    if (count > 0) cs_free(insn, count);
    cs_close(&handle);
    return NULL;
}
