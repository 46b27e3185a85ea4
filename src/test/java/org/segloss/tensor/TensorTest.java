package org.segloss.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Examples of every tensor operation, with values worked out by hand. */
class TensorTest {

    static Tensor t(float[] v, int... shape) { return Tensor.of(v, shape); }

    @Test
    void creation() {
        assertArrayEquals(new float[] {0, 1, 2}, Tensor.arange(3).toArray());
        assertArrayEquals(new float[] {1f, 1.5f}, Tensor.arange(1f, 2f, 0.5f).toArray());
        assertArrayEquals(new float[] {7, 7}, Tensor.full(7f, 2).toArray());
        assertEquals(Shape.of(2, 3), Tensor.ones(2, 3).shape());
        assertArrayEquals(Tensor.randn(5, 10).toArray(), Tensor.randn(5, 10).toArray(), "seeded");
        Tensor u = Tensor.uniform(3, -1f, 1f, 1000);
        for (int i = 0; i < u.size(); i++) assertTrue(u.at(i) >= -1f && u.at(i) < 1f);
        assertEquals(0.0, Tensor.randn(1, 100_000).mean().item(), 0.02);
        assertEquals(4f, Tensor.scalar(4f).item());
    }

    @Test
    void reshapeIsAViewAndInfersMinusOne() {
        Tensor a = Tensor.arange(6);
        Tensor b = a.reshape(2, -1);
        assertEquals(Shape.of(2, 3), b.shape());
        a.set(9f, 0);
        assertEquals(9f, b.get(0, 0), "shares the data");
    }

    @Test
    void permuteTransposeSliceConcatPad() {
        Tensor a = Tensor.arange(6).reshape(2, 3);                 // [[0 1 2] [3 4 5]]
        assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, a.transpose(0, 1).toArray());
        Tensor c = Tensor.arange(24).reshape(2, 3, 4).permute(2, 0, 1);
        assertEquals(Shape.of(4, 2, 3), c.shape());
        assertEquals(13f, c.get(1, 1, 0));                         // original [1, 0, 1]
        assertArrayEquals(new float[] {1, 2, 4, 5}, a.slice(1, 1, 3).toArray());
        assertArrayEquals(new float[] {3, 4, 5}, a.slice(0, 1, 2).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 9, 3, 4, 5, 9},
                Tensor.concat(1, a, Tensor.full(9f, 2, 1)).toArray());
        Tensor padded = a.pad(new int[] {1, 1}, new int[] {0, 1}, -1f);   // [3, 5]
        assertArrayEquals(new float[] {-1, -1, -1, -1, -1, -1, 0, 1, 2, -1, -1, 3, 4, 5, -1}, padded.toArray());
        assertArrayEquals(a.toArray(), a.pad(new int[] {1, 2}, new int[] {2, 1}, 0f).crop(new int[] {1, 2}, new int[] {2, 1}).toArray());
    }

    @Test
    void broadcastingOfAPerClassWeight() {
        Tensor x = Tensor.ones(2, 3, 2, 2);
        Tensor w = t(new float[] {1, 2, 3}, 1, 3, 1, 1);
        Tensor y = x.mul(w);
        assertEquals(Shape.of(2, 3, 2, 2), y.shape());
        assertEquals(3f, y.get(1, 2, 1, 0));
        assertArrayEquals(new float[] {8, 16, 24}, y.sumTo(Shape.of(1, 3, 1, 1)).toArray());
        assertEquals(Shape.of(4, 3), Tensor.ones(4, 1).add(Tensor.ones(3)).shape());
        assertSame(x, x.broadcastTo(x.shape()));
    }

    @Test
    void elementwise() {
        Tensor x = t(new float[] {-2f, 0f, 3f}, 3);
        assertArrayEquals(new float[] {0f, 0f, 3f}, x.relu().toArray());
        assertArrayEquals(new float[] {2f, 0f, 3f}, x.abs().toArray());
        assertArrayEquals(new float[] {-1f, 0f, 1f}, x.clamp(-1f, 1f).toArray());
        assertArrayEquals(new float[] {4f, 0f, 9f}, x.pow(2f).toArray());
        assertArrayEquals(new float[] {-1f, 0f, 1f}, x.sign().toArray());
        assertEquals(0.5f, x.sigmoid().at(1));
        assertEquals(1f, t(new float[] {100f}, 1).sigmoid().at(0));
        assertEquals(0f, t(new float[] {-100f}, 1).sigmoid().at(0), 1e-30f);
        assertArrayEquals(new float[] {(float) Math.log1p(1e-7)}, t(new float[] {1e-7f}, 1).log1p().toArray());
        assertArrayEquals(new float[] {-2f, 9f, 3f},
                Tensor.where(LabelTensor.of(new int[] {1, 0, 1}, 3), x, Tensor.scalar(9f)).toArray());
    }

    @Test
    void reductions() {
        Tensor a = Tensor.arange(24).reshape(2, 3, 4);
        assertEquals(276f, a.sum().item());
        assertArrayEquals(new float[] {60, 66, 72, 78}, a.sum(new int[] {0, 1}, false).toArray());
        assertEquals(Shape.of(2, 1, 1), a.sum(new int[] {1, -1}, true).shape());
        assertArrayEquals(new float[] {66, 210}, a.sum(new int[] {1, 2}, false).toArray());
        assertArrayEquals(new float[] {11, 23}, a.max(new int[] {1, 2}, false).toArray());
        assertArrayEquals(new float[] {0, 1, 2, 3}, a.min(new int[] {0, 1}, false).toArray());
        assertEquals(11.5f, a.mean().item());
        // a long sum accumulates in double: 2^24 + many ones would stall in a float accumulator
        Tensor ones = Tensor.ones(1 << 25);
        assertEquals(33554432f, ones.sum().item());
    }

    /**
     * A sum, max and min over a leading axis ([outer, n, inner] with inner &gt; 1: whole rows added
     * in row buffers of min(inner, 2048)) at row widths below, at and across the buffer's chunks,
     * and over more than the 64 rows added in float before each flush into double: against the
     * definition (the sum in double).
     */
    @Test
    void reductionsOverALeadingAxisAtEveryRowWidth() {
        for (int inner : new int[] {2, 3, 17, 2047, 2048, 2049, 5000}) {
            for (int n : new int[] {1, 2, 70}) {
                Tensor x = Tensor.randn(inner * 31L + n, 2, n, inner);
                float[] sum = x.sum(new int[] {1}, false).toArray(), max = x.max(new int[] {1}, false).toArray();
                float[] min = x.min(new int[] {1}, false).toArray();
                for (int o = 0; o < 2; o++) {
                    for (int j = 0; j < inner; j++) {
                        double s = 0;
                        float hi = Float.NEGATIVE_INFINITY, lo = Float.POSITIVE_INFINITY;
                        for (int k = 0; k < n; k++) {
                            float v = x.at((o * n + k) * inner + j);
                            s += v;
                            hi = Math.max(hi, v);
                            lo = Math.min(lo, v);
                        }
                        String at = "inner " + inner + ", n " + n + " at (" + o + ", " + j + ")";
                        assertEquals(s, sum[o * inner + j], 1e-5 * n + 1e-6, "sum " + at);
                        assertEquals(hi, max[o * inner + j], "max " + at);
                        assertEquals(lo, min[o * inner + j], "min " + at);
                    }
                }
            }
        }
    }

    @Test
    void softmaxIsStableForHugeLogits() {
        Tensor x = t(new float[] {1000f, 1000f, -1000f}, 3);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0f}, x.softmax(0).toArray(), 1e-7f);
        assertEquals(1000f + (float) Math.log(2), x.logSumExp(0, false).item(), 1e-4f);
        assertEquals(Float.NEGATIVE_INFINITY, t(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2)
                .logSumExp(0, false).item());
        assertTrue(x.logSoftmax(0).isFinite());
    }

    /**
     * LabelTensor.range over several parallel runs: the extremes placed in the first, a middle and
     * the last (partial) run, on 1 and 2 threads, for the whole map and for a view that starts
     * inside it (an offset), against a plain scan.
     */
    @Test
    void labelRangeAcrossRuns() {
        int n = 3 * LabelTensor.RANGE_RUN + 17;
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        int saved = org.segloss.tensor.kernel.Parallel.threads();
        try {
            for (int[] at : new int[][] {{0, n - 1}, {LabelTensor.RANGE_RUN + 5, 2 * LabelTensor.RANGE_RUN + 1}, {n - 1, 0}}) {
                int[] v = new int[n];
                for (int i = 0; i < n; i++) v[i] = r.nextInt(-50, 50);
                v[at[0]] = -1000;
                v[at[1]] = 1000;
                for (int threads : new int[] {1, 2}) {
                    org.segloss.tensor.kernel.Parallel.setThreads(threads);
                    assertArrayEquals(new int[] {-1000, 1000}, LabelTensor.of(v, n).range(), "whole map, threads " + threads);
                    // the same labels 5 elements into a larger array (offset 5), 3 more after them
                    int[] padded = new int[n + 8];
                    java.util.Arrays.fill(padded, 5000);
                    System.arraycopy(v, 0, padded, 5, n);
                    assertArrayEquals(new int[] {-1000, 1000}, new LabelTensor(padded, 5, Shape.of(n)).range(), "offset 5, threads " + threads);
                }
            }
            assertArrayEquals(new int[] {0, -1}, LabelTensor.zeros(0).range());
        } finally {
            org.segloss.tensor.kernel.Parallel.setThreads(saved);
        }
    }

    @Test
    void oneHotArgmaxGather() {
        LabelTensor labels = LabelTensor.of(new int[] {0, 2, 1, 2}, 1, 2, 2);
        Tensor oh = labels.oneHot(3);
        assertEquals(Shape.of(1, 3, 2, 2), oh.shape());
        assertArrayEquals(new float[] {1, 0, 0, 0, /* c1 */ 0, 0, 1, 0, /* c2 */ 0, 1, 0, 1}, oh.toArray());
        assertArrayEquals(labels.toArray(), oh.argmax(1).toArray());
        Tensor ignored = LabelTensor.of(new int[] {0, 255}, 1, 2).oneHot(2, 255);
        assertArrayEquals(new float[] {1, 0, 0, 0}, ignored.toArray());
        Tensor x = Tensor.arange(6).reshape(2, 3);
        Tensor g = x.gather(1, LabelTensor.of(new int[] {2, 0, 1, 1}, 2, 2));
        assertArrayEquals(new float[] {2, 0, 4, 4}, g.toArray());
        assertArrayEquals(new float[] {1, 0, 1, 0, 2, 0},
                Tensor.ones(2, 2).scatterAdd(1, LabelTensor.of(new int[] {2, 0, 1, 1}, 2, 2), Shape.of(2, 3)).toArray());
    }

    /**
     * gather and scatterAdd against the definition, element by element, on every axis of ranks
     * 1 to 5 with an index smaller than the source on the other axes (PyTorch allows that).
     */
    @Test
    void gatherScatterAddMatchTheDefinitionOnEveryAxis() {
        java.util.Random rnd = new java.util.Random(7);
        for (int rank = 1; rank <= 5; rank++) {
            for (int ax = 0; ax < rank; ax++) {
                int[] d = new int[rank], id = new int[rank];
                for (int a = 0; a < rank; a++) {
                    d[a] = 1 + rnd.nextInt(4);
                    id[a] = a == ax ? 1 + rnd.nextInt(5) : 1 + rnd.nextInt(d[a]);
                }
                Shape s = Shape.of(d), is = Shape.of(id);
                float[] xv = new float[s.size()];
                for (int i = 0; i < xv.length; i++) xv[i] = i;
                Tensor x = Tensor.of(xv, d);
                int[] iv = new int[is.size()];
                for (int i = 0; i < iv.length; i++) iv[i] = rnd.nextInt(d[ax]);
                LabelTensor index = LabelTensor.of(iv, id);
                float[] g = x.gather(ax, index).toArray();
                float[] src = new float[iv.length];
                for (int i = 0; i < src.length; i++) src[i] = 1 + rnd.nextInt(9);
                float[] sa = Tensor.of(src, id).scatterAdd(ax, index, s).toArray();
                float[] expectScatter = new float[s.size()];
                int[] st = s.strides();
                for (int t = 0; t < iv.length; t++) {
                    int rem = t, p = 0;
                    for (int a = rank - 1; a >= 0; a--) {
                        int c = rem % id[a];
                        rem /= id[a];
                        p += (a == ax ? iv[t] : c) * st[a];
                    }
                    assertEquals(xv[p], g[t], "gather " + s + " axis " + ax + " at " + t);
                    expectScatter[p] += src[t];
                }
                assertArrayEquals(expectScatter, sa, "scatterAdd " + s + " axis " + ax);
            }
        }
    }

    /**
     * The label gather of a loss at a training shape: positions computed in parallel chunks equal
     * a plain loop over [B, C, V], and a bad index in a late chunk still fails with its message.
     */
    @Test
    void gatherAndScatterAddAcrossParallelChunks() {
        int b = 2, c = 3, v = 3 * (1 << 14) + 5;
        Tensor x = Tensor.randn(3, b, c, v);
        int[] lab = new int[b * v];
        for (int i = 0; i < lab.length; i++) lab[i] = (i * 7 + i / 5) % c;
        LabelTensor index = LabelTensor.of(lab, b, 1, v);
        Tensor g = x.gather(1, index);
        Tensor back = g.scatterAdd(1, index, x.shape());
        for (int n = 0; n < b; n++) {
            for (int p = 0; p < v; p++) {
                int k = lab[n * v + p];
                assertEquals(x.get(n, k, p), g.get(n, 0, p));
                for (int ch = 0; ch < c; ch++) assertEquals(ch == k ? x.get(n, k, p) : 0f, back.get(n, ch, p));
            }
        }
        lab[lab.length - 2] = c;
        var e = assertThrows(IllegalArgumentException.class,
                () -> x.gather(1, LabelTensor.of(lab, b, 1, v)));
        assertTrue(e.getMessage().contains("[0, 3)") && e.getMessage().contains("got 3"), e.getMessage());
    }

    /** A skip concatenation at a U-Net shape (copied in parallel tasks) and the slices back out of it. */
    @Test
    void concatAndSliceOfLargeVolumes() {
        Tensor a = Tensor.randn(4, 2, 3, 8, 16, 20), b = Tensor.randn(5, 2, 5, 8, 16, 20);
        Tensor c = Tensor.concat(1, a, b);
        assertEquals(Shape.of(2, 8, 8, 16, 20), c.shape());
        for (int n = 0; n < 2; n++) {
            for (int ch = 0; ch < 8; ch++) {
                for (int v = 0; v < 8 * 16 * 20; v += 37) {
                    int z = v / 320, y = v / 20 % 16, x = v % 20;
                    float want = ch < 3 ? a.get(n, ch, z, y, x) : b.get(n, ch - 3, z, y, x);
                    assertEquals(want, c.get(n, ch, z, y, x));
                }
            }
        }
        assertArrayEquals(a.toArray(), c.slice(1, 0, 3).toArray());
        assertArrayEquals(b.toArray(), c.slice(1, 3, 8).toArray());
    }

    @Test
    void matMul() {
        Tensor a = Tensor.arange(6).reshape(2, 3), b = Tensor.arange(12).reshape(3, 4);
        assertArrayEquals(new float[] {20, 23, 26, 29, 56, 68, 80, 92}, a.matMul(b).toArray());
        Tensor batched = Tensor.concat(0, a.reshape(1, 2, 3), a.mul(2f).reshape(1, 2, 3));
        Tensor c = batched.matMul(b);
        assertEquals(Shape.of(2, 2, 4), c.shape());
        assertArrayEquals(new float[] {40, 46, 52, 58, 112, 136, 160, 184}, c.slice(0, 1, 2).toArray());
        assertArrayEquals(a.matMul(b).toArray(), Tensor.matMul(a.transpose(0, 1), true, b.transpose(0, 1), true).toArray());
        Tensor big = Tensor.randn(1, 67, 45), big2 = Tensor.randn(2, 45, 33);
        Tensor ref = new Tensor(new float[67 * 33], 0, Shape.of(67, 33));
        for (int i = 0; i < 67; i++) for (int j = 0; j < 33; j++) {
            double s = 0;
            for (int p = 0; p < 45; p++) s += (double) big.get(i, p) * big2.get(p, j);
            ref.set((float) s, i, j);
        }
        assertTrue(big.matMul(big2).maxAbsDiff(ref) < 1e-4f);
    }

    @Test
    void copyToCopiesARangeOfAViewInRowMajorOrder() {
        Tensor t = Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 2, 4).slice(0, 1, 2);   // the view [[4, 5, 6, 7]]
        float[] dst = {-1, -1, -1, -1};
        t.copyTo(1, dst, 1, 3);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {-1, 5, 6, 7}, dst);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.copyTo(2, dst, 0, 3));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[2, 5)") && e.getMessage().contains("tensor of 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.copyTo(0, dst, 2, 3));
    }
}
