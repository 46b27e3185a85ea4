package org.segloss.tensor.kernel;

import java.util.ArrayList;
import java.util.List;

/**
 * Chooses the kernels once per JVM, like Lucene's {@code VectorizationProvider}.
 *
 * <p>System property {@value #PROPERTY}: {@code auto} (default: the widest vector species the
 * CPU prefers), {@code scalar}, or a width in bits ({@code 128}, {@code 256}, {@code 512}; at most
 * the preferred width). The choice is logged once on standard error. Without
 * {@code --add-modules jdk.incubator.vector} the vector classes cannot load: the provider then
 * falls back to {@link ScalarKernels} with one warning line (an explicit width request fails).
 */
public final class KernelProvider {
    public static final String PROPERTY = "segloss.simd";
    private static final String VECTOR_FACTORY = "org.segloss.tensor.simd.VectorKernels";

    private KernelProvider() {}

    private static final class Holder {
        static final Kernels INSTANCE = choose();
    }

    /** The kernels every tensor operation uses. */
    public static Kernels get() {
        return Holder.INSTANCE;
    }

    /** The scalar reference kernels. */
    public static Kernels scalar() {
        return ScalarKernels.INSTANCE;
    }

    /** Whether the Vector API module is readable in this JVM. */
    public static boolean vectorAvailable() {
        return preferredVectorBits() > 0;
    }

    /** The CPU's preferred float vector size in bits, or 0 when the Vector API is unavailable. */
    public static int preferredVectorBits() {
        try {
            Class<?> c = Class.forName(VECTOR_FACTORY);
            return (int) c.getMethod("preferredBits").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return 0;
        }
    }

    /** Every vector width (bits) that this CPU allows, narrowest first; empty without the module. */
    public static List<Integer> supportedWidths() {
        List<Integer> widths = new ArrayList<>();
        int pref = preferredVectorBits();
        for (int bits = 128; bits <= pref; bits *= 2) widths.add(bits);
        return widths;
    }

    /**
     * The vector kernels at a given width.
     *
     * @throws IllegalArgumentException if the width is not one of {@link #supportedWidths()}
     */
    public static Kernels vector(int bits) {
        List<Integer> allowed = supportedWidths();
        if (!allowed.contains(bits)) {
            throw new IllegalArgumentException("KernelProvider.vector: bits must be one of "
                    + allowed + " on this CPU/JVM, got " + bits
                    + (allowed.isEmpty() ? " (jdk.incubator.vector is not readable: launch with"
                            + " --add-modules jdk.incubator.vector)" : ""));
        }
        try {
            Class<?> c = Class.forName(VECTOR_FACTORY);
            return (Kernels) c.getMethod("create", int.class).invoke(null, bits);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("KernelProvider: cannot create vector kernels", e);
        }
    }

    private static Kernels choose() {
        String req = System.getProperty(PROPERTY, "auto").trim().toLowerCase(java.util.Locale.ROOT);
        Kernels k;
        if (req.equals("scalar")) {
            k = scalar();
            log("segloss: kernels = scalar (forced by -D" + PROPERTY + "=scalar)");
        } else if (req.equals("auto") || req.isEmpty()) {
            int pref = preferredVectorBits();
            if (pref < 128) {
                k = scalar();
                log("segloss: WARNING jdk.incubator.vector unavailable (launch with --add-modules"
                        + " jdk.incubator.vector); using scalar kernels");
            } else {
                k = vector(pref);
                log("segloss: kernels = " + k.name() + " (" + k.lanes() + " float lanes)");
            }
        } else {
            int bits;
            try {
                bits = Integer.parseInt(req);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("KernelProvider: -D" + PROPERTY
                        + " must be one of [auto, scalar, 128, 256, 512], got '" + req + "'");
            }
            k = vector(bits);
            log("segloss: kernels = " + k.name() + " (forced by -D" + PROPERTY + "=" + bits + ")");
        }
        return k;
    }

    private static void log(String line) {
        if (!Boolean.getBoolean("segloss.quiet")) System.err.println(line);
    }
}
