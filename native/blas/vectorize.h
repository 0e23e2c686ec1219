/* Compiler hints shared by the element-wise loops of the kernels. */
#ifndef SEQ2SEQ_VECTORIZE_H
#define SEQ2SEQ_VECTORIZE_H

/* On x86-64 Linux with GCC, functions marked VECTOR_CLONES are also compiled for x86-64-v3 CPUs
 * (AVX2 + FMA) and the right version is picked at load time; elsewhere they are compiled once.
 * The clone is chosen by ISA level: an "arch=haswell" clone is picked only on Intel CPUs that
 * identify as Haswell or later (__builtin_cpu_is), never on AMD ones. x86-64-v3 needs GCC 11. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && __GNUC__ >= 11
#define VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define VECTOR_CLONES
#endif

#endif
