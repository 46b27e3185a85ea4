package org.segloss.tensor.simd;

import java.util.function.Function;
import java.util.stream.LongStream;

/**
 * What an accuracy probe of a vector kernel found against its scalar reference: the inputs, the
 * results off by one ulp or more, the bad ones (NaN against a number or the other way round, a zero
 * of the wrong sign), the largest distance and its first input. Distances count the floats between
 * two results across signs. Merged by sums and max, so the order of the chunks does not matter.
 */
final class UlpStats {
    long inputs, off, bad, maxUlps;
    float worstX;

    /** Records the result got for input x against the reference want. */
    void add(float x, float got, float want) {
        inputs++;
        if (Float.isNaN(want) || Float.isNaN(got)) {
            if (Float.isNaN(want) != Float.isNaN(got)) bad++;
            return;
        }
        if (want == 0f && Float.floatToRawIntBits(want) != Float.floatToRawIntBits(got)) bad++;   // the sign of a zero
        long ulps = Math.abs(ordered(got) - ordered(want));
        if (ulps > 0) off++;
        if (ulps > maxUlps || (ulps == maxUlps && ulps > 0 && Float.floatToRawIntBits(x) < Float.floatToRawIntBits(worstX))) {
            maxUlps = ulps;
            worstX = x;
        }
    }

    UlpStats merged(UlpStats o) {
        UlpStats m = new UlpStats();
        m.inputs = inputs + o.inputs;
        m.off = off + o.off;
        m.bad = bad + o.bad;
        boolean other = o.maxUlps > maxUlps
                || (o.maxUlps == maxUlps && Float.floatToRawIntBits(o.worstX) < Float.floatToRawIntBits(worstX));
        m.maxUlps = other ? o.maxUlps : maxUlps;
        m.worstX = other ? o.worstX : worstX;
        return m;
    }

    /** The probe's output line: "STATS inputs maxUlps worstXBits off bad". */
    String line() {
        return "STATS " + inputs + " " + maxUlps + " " + Float.floatToRawIntBits(worstX) + " " + off + " " + bad;
    }

    /** check run over the floats of raw bits from, from + stride, ... up to to, in independent chunks of 2^20, in parallel. */
    static UlpStats over(long from, long to, long stride, Function<float[], UlpStats> check) {
        long count = (to - from) / stride + 1, chunk = 1 << 20;
        return LongStream.range(0, (count + chunk - 1) / chunk).parallel().mapToObj(c -> {
            int n = (int) Math.min(chunk, count - c * chunk);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) x[i] = Float.intBitsToFloat((int) (from + (c * chunk + i) * stride));
            return check.apply(x);
        }).reduce(new UlpStats(), UlpStats::merged);
    }

    /** Floats in order: the distance of two results in ulps, across signs. */
    static long ordered(float f) {
        int b = Float.floatToRawIntBits(f);
        return b >= 0 ? b : (long) Integer.MIN_VALUE - b;
    }
}
