// A hand-written C reference for the loss benchmarks: what native code does with the work of
// LossBench's softmax rows, so that the Java figures can be read against it in the same run.
//
// Workload (the same as LossBench and bench/losses_torch.py): logits [B, C, D, H, W] =
// [2, 4, 64, 64, 64] float32, labels [B, D, H, W] from LossBench.label's slab formula, forward +
// backward to a gradient of the logits' shape. Two kernels, each in two passes over the voxels:
//   dice : softmax along C, soft Dice per (b, c) with MONAI's defaults (background included,
//          smooth_nr = smooth_dr = 1e-5, mean over B and C); pass 1 computes p = softmax(x) into
//          the gradient buffer and the sums I = sum p t, P = sum p, G = sum t; pass 2 turns p into
//          dL/dx = p (h - sum_k p_k h_k) with h_c = dL/dp_c (the softmax Jacobian-vector product).
//   ce   : softmax cross-entropy, mean over voxels; pass 1 = log-sum-exp and the loss, the gradient
//          (p - t) / N written in the same pass.
//   focal: the catalogue's focal loss (gamma 2, MONAI's mean over B*C*voxels) in the ce kernel's one
//          pass: -(1 - p_y)^2 ln p_y from the log-sum-exp, the gradient kappa (p - t) / (B C V).
//   explog: the catalogue's exp-log (Form.PAPER: gamma 0.3 for both terms, weights 0.8 / 0.2, Dice
//          pooled over the batch with eps 1, label-frequency weights, -ln clamped below at 1e-7); a
//          label count, then the dice kernel's two passes, pass 1 adding the cross-entropy term (a
//          logf and a powf per voxel) and keeping its slope per voxel, pass 2 adding slope (p - t).
//   The last two are what native code makes of those losses' own work; the README's targets hold
//   them against the Dice and cross-entropy kernels too.
// Sums of a pass are per thread in float and combined in double (OpenMP reduction order: the C
// code does not promise bit-identical results across thread counts, segloss does).
//
// Build: gcc -O3 -march=native -ffast-math -fopenmp -o loss_kernel bench/native/loss_kernel.c -lmvec -lm
//        (-ffast-math lets gcc call glibc's vectorised expf/logf from libmvec)
// Run:   OMP_NUM_THREADS=1 ./loss_kernel ; OMP_NUM_THREADS=2 ./loss_kernel
// Prints the median of 200 repetitions after 20 warm-ups, data hot in cache as in JMH.
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { B = 2, C = 4, S = 64, V = S * S * S, REPS = 200, WARMUP = 20 };

static float *logits, *grad, *slope;   // slope: explog's per-voxel factor, [B, V]
static uint8_t *labels;
static double loss_value;

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

// LossBench.label: class slabs, integer arithmetic only.
static int slab_label(int b, int z, int y, int x) { return (x / 16 + 2 * (y / 21) + 3 * (z / 13) + b) % 4; }

static void dice(void) {
    double inter[B][C], pred[B][C], truth[B][C];
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t) b * C * V;
        float *p = grad + (size_t) b * C * V;
        const uint8_t *t = labels + (size_t) b * V;
        float i0 = 0, i1 = 0, i2 = 0, i3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0, n0 = 0, n1 = 0, n2 = 0, n3 = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : i0, i1, i2, i3, s0, s1, s2, s3, n0, n1, n2, n3)
        for (int v = 0; v < V; v++) {
            float a = x[v], bb = x[V + v], c = x[2 * V + v], d = x[3 * V + v];
            float m = fmaxf(fmaxf(a, bb), fmaxf(c, d));
            float e0 = expf(a - m), e1 = expf(bb - m), e2 = expf(c - m), e3 = expf(d - m);
            float r = 1.0f / (e0 + e1 + e2 + e3);
            float p0 = e0 * r, p1 = e1 * r, p2 = e2 * r, p3 = e3 * r;
            p[v] = p0, p[V + v] = p1, p[2 * V + v] = p2, p[3 * V + v] = p3;
            int k = t[v];
            float t0 = k == 0, t1 = k == 1, t2 = k == 2, t3 = k == 3;
            i0 += p0 * t0, i1 += p1 * t1, i2 += p2 * t2, i3 += p3 * t3;
            s0 += p0, s1 += p1, s2 += p2, s3 += p3;
            n0 += t0, n1 += t1, n2 += t2, n3 += t3;
        }
        double is[C] = {i0, i1, i2, i3}, ss[C] = {s0, s1, s2, s3}, ns[C] = {n0, n1, n2, n3};
        for (int c = 0; c < C; c++) inter[b][c] = is[c], pred[b][c] = ss[c], truth[b][c] = ns[c];
    }
    // L = mean_{b,c} (1 - (2I + eps) / (P + G + eps)); dL/dp_c = hp + t_c ht per voxel.
    const double eps = 1e-5, w = 1.0 / (B * C);
    float hp[B][C], ht[B][C];
    double total = 0;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            double num = 2 * inter[b][c] + eps, den = pred[b][c] + truth[b][c] + eps;
            total += 1 - num / den;
            hp[b][c] = (float) (w * num / (den * den));
            ht[b][c] = (float) (-w * 2 / den);
        }
    loss_value = total * w;
    for (int b = 0; b < B; b++) {
        float *p = grad + (size_t) b * C * V;
        const uint8_t *t = labels + (size_t) b * V;
        float h0 = hp[b][0], h1 = hp[b][1], h2 = hp[b][2], h3 = hp[b][3];
        float g0 = ht[b][0], g1 = ht[b][1], g2 = ht[b][2], g3 = ht[b][3];
#pragma omp parallel for simd schedule(static)
        for (int v = 0; v < V; v++) {
            int k = t[v];
            float q0 = h0 + (k == 0 ? g0 : 0), q1 = h1 + (k == 1 ? g1 : 0), q2 = h2 + (k == 2 ? g2 : 0), q3 = h3 + (k == 3 ? g3 : 0);
            float p0 = p[v], p1 = p[V + v], p2 = p[2 * V + v], p3 = p[3 * V + v];
            float dot = p0 * q0 + p1 * q1 + p2 * q2 + p3 * q3;
            p[v] = p0 * (q0 - dot), p[V + v] = p1 * (q1 - dot), p[2 * V + v] = p2 * (q2 - dot), p[3 * V + v] = p3 * (q3 - dot);
        }
    }
}

static void cross_entropy(void) {
    const float inv_n = 1.0f / ((float) B * V);
    double total = 0;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t) b * C * V;
        float *g = grad + (size_t) b * C * V;
        const uint8_t *t = labels + (size_t) b * V;
        float part = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : part)
        for (int v = 0; v < V; v++) {
            float a = x[v], bb = x[V + v], c = x[2 * V + v], d = x[3 * V + v];
            float m = fmaxf(fmaxf(a, bb), fmaxf(c, d));
            float e0 = expf(a - m), e1 = expf(bb - m), e2 = expf(c - m), e3 = expf(d - m);
            float s = e0 + e1 + e2 + e3, r = inv_n / s;
            int k = t[v];
            float xt = k == 0 ? a : k == 1 ? bb : k == 2 ? c : d;
            part += m + logf(s) - xt;
            g[v] = e0 * r - (k == 0 ? inv_n : 0), g[V + v] = e1 * r - (k == 1 ? inv_n : 0);
            g[2 * V + v] = e2 * r - (k == 2 ? inv_n : 0), g[3 * V + v] = e3 * r - (k == 3 ? inv_n : 0);
        }
        total += part;
    }
    loss_value = total * inv_n;
}

// -(1 - q)^2 ln q with q = p_y; d/dx_c = kappa (p_c - [c = y]), kappa = (1 - q)^2 + 2 q (1 - q) (-ln q).
static void focal(void) {
    const float inv_n = 1.0f / ((float) B * C * V);
    double total = 0;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t) b * C * V;
        float *g = grad + (size_t) b * C * V;
        const uint8_t *t = labels + (size_t) b * V;
        float part = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : part)
        for (int v = 0; v < V; v++) {
            float a = x[v], bb = x[V + v], c = x[2 * V + v], d = x[3 * V + v];
            float m = fmaxf(fmaxf(a, bb), fmaxf(c, d));
            float e0 = expf(a - m), e1 = expf(bb - m), e2 = expf(c - m), e3 = expf(d - m);
            float s = e0 + e1 + e2 + e3, r = 1.0f / s;
            int k = t[v];
            float xt = k == 0 ? a : k == 1 ? bb : k == 2 ? c : d;
            float et = k == 0 ? e0 : k == 1 ? e1 : k == 2 ? e2 : e3;
            float l = m + logf(s) - xt, q = et * r, u = 1.0f - q;   // l = -ln p_y, q = p_y
            part += u * u * l;
            float kn = (u * u + 2.0f * q * u * l) * inv_n, kr = kn * r;
            g[v] = e0 * kr - (k == 0 ? kn : 0), g[V + v] = e1 * kr - (k == 1 ? kn : 0);
            g[2 * V + v] = e2 * kr - (k == 2 ? kn : 0), g[3 * V + v] = e3 * kr - (k == 3 ? kn : 0);
        }
        total += part;
    }
    loss_value = total * inv_n;
}

static void exp_log(void) {
    const float gamma = 0.3f, min_log = 1e-7f;
    const double w_dice = 0.8, w_cross = 0.2, eps = 1.0, n_voxels = (double) B * V;
    // the label-frequency weights w_l = (sum_k f_k / f_l)^0.5 from a count of the labels
    float f0 = 0, f1 = 0, f2 = 0, f3 = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : f0, f1, f2, f3)
    for (int v = 0; v < B * V; v++) {
        int k = labels[v];
        f0 += k == 0, f1 += k == 1, f2 += k == 2, f3 += k == 3;
    }
    double f[C] = {f0, f1, f2, f3}, all = f0 + f1 + f2 + f3;
    float wl[C];
    for (int c = 0; c < C; c++) wl[c] = f[c] > 0 ? (float) sqrt(all / f[c]) : 0.0f;
    const float w0 = wl[0], w1 = wl[1], w2 = wl[2], w3 = wl[3], slope_scale = (float) (w_cross / n_voxels) * gamma;
    double inter[C] = {0}, pred[C] = {0}, cross = 0;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t) b * C * V;
        float *p = grad + (size_t) b * C * V, *sl = slope + (size_t) b * V;
        const uint8_t *t = labels + (size_t) b * V;
        float i0 = 0, i1 = 0, i2 = 0, i3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0, part = 0;
#pragma omp parallel for simd schedule(static) reduction(+ : i0, i1, i2, i3, s0, s1, s2, s3, part)
        for (int v = 0; v < V; v++) {
            float a = x[v], bb = x[V + v], c = x[2 * V + v], d = x[3 * V + v];
            float m = fmaxf(fmaxf(a, bb), fmaxf(c, d));
            float e0 = expf(a - m), e1 = expf(bb - m), e2 = expf(c - m), e3 = expf(d - m);
            float s = e0 + e1 + e2 + e3, r = 1.0f / s;
            float p0 = e0 * r, p1 = e1 * r, p2 = e2 * r, p3 = e3 * r;
            p[v] = p0, p[V + v] = p1, p[2 * V + v] = p2, p[3 * V + v] = p3;
            int k = t[v];
            float t0 = k == 0, t1 = k == 1, t2 = k == 2, t3 = k == 3;
            i0 += p0 * t0, i1 += p1 * t1, i2 += p2 * t2, i3 += p3 * t3;
            s0 += p0, s1 += p1, s2 += p2, s3 += p3;
            float xt = k == 0 ? a : k == 1 ? bb : k == 2 ? c : d;
            float w = k == 0 ? w0 : k == 1 ? w1 : k == 2 ? w2 : w3;
            float l = m + logf(s) - xt, lc = fmaxf(l, min_log), pw = powf(lc, gamma);   // l = -ln p_y
            part += w * pw;
            sl[v] = l > min_log ? slope_scale * w * pw / lc : 0.0f;   // d(0.2 mean w l^0.3)/dl at this voxel
        }
        double is[C] = {i0, i1, i2, i3}, ss[C] = {s0, s1, s2, s3};
        for (int c = 0; c < C; c++) inter[c] += is[c], pred[c] += ss[c];
        cross += part;
    }
    // L_Dice = mean_c max(-ln D_c, 1e-7)^0.3; dL/dp_c = hp_c + t_c ht_c per voxel
    float hp[C], ht[C];
    double dice_term = 0;
    for (int c = 0; c < C; c++) {
        double den = pred[c] + f[c] + eps, dc = (2 * inter[c] + eps) / den, l = -log(dc);
        double lc = l > min_log ? l : min_log, dl_dd = l > min_log ? -gamma * pow(lc, gamma - 1) / dc : 0;
        dice_term += pow(lc, gamma);
        double dd = w_dice / C * dl_dd;
        hp[c] = (float) (-dd * (2 * inter[c] + eps) / (den * den));
        ht[c] = (float) (dd * 2 / den);
    }
    loss_value = w_dice * dice_term / C + w_cross * cross / n_voxels;
    for (int b = 0; b < B; b++) {
        float *p = grad + (size_t) b * C * V;
        const float *sl = slope + (size_t) b * V;
        const uint8_t *t = labels + (size_t) b * V;
        float h0 = hp[0], h1 = hp[1], h2 = hp[2], h3 = hp[3];
        float g0 = ht[0], g1 = ht[1], g2 = ht[2], g3 = ht[3];
#pragma omp parallel for simd schedule(static)
        for (int v = 0; v < V; v++) {
            int k = t[v];
            float q0 = h0 + (k == 0 ? g0 : 0), q1 = h1 + (k == 1 ? g1 : 0), q2 = h2 + (k == 2 ? g2 : 0), q3 = h3 + (k == 3 ? g3 : 0);
            float p0 = p[v], p1 = p[V + v], p2 = p[2 * V + v], p3 = p[3 * V + v], z = sl[v];
            float dot = p0 * q0 + p1 * q1 + p2 * q2 + p3 * q3;
            p[v] = p0 * (q0 - dot) + z * (p0 - (k == 0)), p[V + v] = p1 * (q1 - dot) + z * (p1 - (k == 1));
            p[2 * V + v] = p2 * (q2 - dot) + z * (p2 - (k == 2)), p[3 * V + v] = p3 * (q3 - dot) + z * (p3 - (k == 3));
        }
    }
}

static void measure(const char *name, void (*kernel)(void)) {
    static double t[REPS];
    for (int r = 0; r < WARMUP; r++) kernel();
    for (int r = 0; r < REPS; r++) {
        double t0 = seconds();
        kernel();
        t[r] = seconds() - t0;
    }
    qsort(t, REPS, sizeof t[0], by_value);
    printf("%-5s threads=%d  median %.3f ms  min %.3f ms  (loss %.6f)\n", name, omp_get_max_threads(), 1e3 * t[REPS / 2],
           1e3 * t[0], loss_value);
}

int main(void) {
    logits = aligned_alloc(64, sizeof(float) * B * C * V);
    grad = aligned_alloc(64, sizeof(float) * B * C * V);
    slope = aligned_alloc(64, sizeof(float) * B * V);
    labels = aligned_alloc(64, (size_t) B * V);
    uint64_t state = 5;   // a 64-bit LCG: uniform logits in [-4, 4)
    for (size_t i = 0; i < (size_t) B * C * V; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        logits[i] = -4.0f + 8.0f * (float) ((state >> 40) * 0x1p-24);
    }
    for (int b = 0; b < B; b++)
        for (int z = 0; z < S; z++)
            for (int y = 0; y < S; y++)
                for (int x = 0; x < S; x++) labels[(((size_t) b * S + z) * S + y) * S + x] = (uint8_t) slab_label(b, z, y, x);
    measure("dice", dice);
    measure("ce", cross_entropy);
    measure("focal", focal);
    measure("explog", exp_log);
    if (getenv("LOSS_KERNEL_DUMP") != NULL) {   // the last kernel's gradient, raw float32, for a check against autograd
        FILE *out = fopen(getenv("LOSS_KERNEL_DUMP"), "wb");
        fwrite(grad, sizeof(float), (size_t) B * C * V, out);
        fclose(out);
    }
    return 0;
}
