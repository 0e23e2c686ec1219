/* Compiler hints shared by the element-wise loops of the kernels. */
#ifndef SEQ2SEQ_VECTORIZE_H
#define SEQ2SEQ_VECTORIZE_H

/* On x86-64 Linux with GCC, functions marked VECTOR_CLONES are also compiled for Haswell-class CPUs
 * (AVX2 + FMA) and the right version is picked at load time; elsewhere they are compiled once. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("arch=haswell", "default")))
#else
#define VECTOR_CLONES
#endif

#endif
