package org.segloss.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.segloss.autograd.Var;
import org.segloss.examples.train.EpochAware;
import org.segloss.loss.BoundaryLoss;
import org.segloss.loss.BoundarySchedule;
import org.segloss.loss.CrossEntropyLoss;
import org.segloss.loss.DiceCELoss;
import org.segloss.loss.DiceLoss;
import org.segloss.loss.ExpLogLoss;
import org.segloss.loss.FocalLoss;
import org.segloss.loss.FocalPositiveLoss;
import org.segloss.loss.FocalTverskyLoss;
import org.segloss.loss.GeneralizedDiceLoss;
import org.segloss.loss.GeneralizedWassersteinDiceLoss;
import org.segloss.loss.HausdorffDTLoss;
import org.segloss.loss.JaccardLoss;
import org.segloss.loss.LeftAtriumLoss;
import org.segloss.loss.Loss;
import org.segloss.loss.LossOption;
import org.segloss.loss.LossOption.Kind;
import org.segloss.loss.LossOption.Range;
import org.segloss.loss.LovaszSoftmaxLoss;
import org.segloss.loss.OverlapLoss;
import org.segloss.loss.Reduction;
import org.segloss.loss.RegionLossBuilder;
import org.segloss.loss.SegmentationLoss;
import org.segloss.loss.SensitivitySpecificityLoss;
import org.segloss.loss.SudreDiceLoss;
import org.segloss.loss.TverskyLoss;
import org.segloss.loss.WeightedCrossEntropyLoss;
import org.segloss.loss.WeightedSumLoss;
import org.segloss.tensor.LabelTensor;
import org.segloss.tensor.Tensor;

/**
 * Every loss of {@code org.segloss.loss} that applies to multi-class softmax training, selectable
 * by a kebab-case name with {@code key=value} options: what {@code segloss train --loss NAME} builds.
 *
 * <p><b>Setting.</b> The U-Net gives logits {@code [B, C, D, H, W]} and the data integer labels
 * {@code [B, D, H, W]}; C (background included) is known when the loss is built and is passed to
 * {@link #build}, because some options are per class (weights, a C×C distance matrix) and are
 * checked against it then, not at the first training step. The activation is therefore always
 * SOFTMAX on logits and targets are label maps: the library's {@code activation} and
 * {@code softLabel} options are not offered (they would have nothing to act on).
 *
 * <p><b>Options</b> are the losses' own declarations ({@link LossOption}, e.g.
 * {@code DiceLoss.OPTIONS}, {@code BoundarySchedule.OPTIONS}): each option's name, type, default,
 * allowed values, doc line and builder setter are written there once. This catalogue lists them
 * ({@link #help()}, {@link #declarations}), checks the text a user gives against them, and sets the
 * builders through them ({@code Args.apply}); lists whose length depends on C are checked here
 * before they are set. What the catalogue adds is stated once below: the training default of
 * include-background, and {@code hausdorff-dt}'s {@code dice-weight} (a composition of its own).
 *
 * <p><b>Defaults</b> are the library's (mostly MONAI's), with one training choice: region losses of
 * the Dice family ({@code dice}, {@code jaccard}, {@code tversky}, {@code focal-tversky},
 * {@code asymmetric-similarity}, the Dice part of {@code dice-ce} and of {@code left-atrium})
 * default to {@code include-background=false}, as nnU-Net and the previous {@code segloss train}
 * do: on patches the background is the huge, easy class and its Dice is near 1 everywhere, so it
 * only dilutes the mean. The other losses keep the library default: {@code generalized-dice}
 * already gives the background a tiny weight, and without it a background-only patch scores 0 with
 * no gradient; {@code exp-log}, {@code lovasz-softmax}, {@code focal} and
 * {@code sensitivity-specificity} are defined (in their papers and reference code) over every
 * class; the cross-entropy losses always use every class. {@link #help()} lists every default.
 *
 * <p><b>Schedules.</b> {@code boundary} is the boundary-loss paper's training loss, a region loss
 * plus the boundary loss under a per-epoch weight schedule ({@link BoundarySchedule}). The built
 * object therefore has an epoch: the trainer calls {@link Built#onEpoch(int, int)} at the start of
 * every epoch (a no-op for the other losses) and then only {@code forward(logits, labels)}. The
 * signed distance maps the boundary and Hausdorff losses need are computed by those losses from
 * the label map on every call ({@link BoundaryLoss#forward(Var, LabelTensor)}), so the trainer
 * passes labels as for any other loss.
 *
 * <p><b>Syntax.</b> {@link #parse(String, List)} reads {@code --loss NAME} or
 * {@code --loss 'NAME:k=v,k=v'} plus repeatable {@code --loss-option k=v}. Keys are
 * case-insensitive and {@code _} equals {@code -} (so MONAI's {@code include_background} works).
 * Lists (per-class weights, class ids, spacing) are written {@code [1,2,3]}; inside a single
 * {@code --loss-option} the brackets may be dropped ({@code weight=1,2,3}), inside {@code --loss}
 * they are required because the comma separates options there. Every option is checked: an
 * unknown key, a key the loss does not take, a value of the wrong type, out of range or of the
 * wrong length is an {@link IllegalArgumentException} naming the loss, the option, what was
 * expected and what was given.
 */
public final class LossCatalog {
    /** The default loss, nnU-Net's Dice + cross-entropy. */
    public static final String DEFAULT = "dice-ce";

    private LossCatalog() {}

    // ---- public API ---------------------------------------------------------------------------

    /** A loss name and its raw options, in the order given. */
    public record Selection(String name, Map<String, String> options) {
        public Selection {
            options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        }
    }

    /**
     * Parses {@code --loss SPEC} and the {@code --loss-option KEY=VALUE} strings.
     *
     * @param spec {@code NAME} or {@code NAME:KEY=VALUE,KEY=VALUE}; null or blank: {@link #DEFAULT}
     * @param options {@code KEY=VALUE} strings (may be null or empty); a value may be a bare list
     *     {@code 1,2,3}
     * @throws IllegalArgumentException on a malformed item or a key given twice
     */
    public static Selection parse(String spec, List<String> options) {
        String s = spec == null ? "" : spec.strip();
        String name = s;
        Map<String, String> out = new LinkedHashMap<>();
        int colon = s.indexOf(':');
        if (colon >= 0) {
            name = s.substring(0, colon).strip();
            String rest = s.substring(colon + 1);
            if (rest.isBlank()) {
                throw new IllegalArgumentException("--loss '" + spec + "': expected options after ':' as KEY=VALUE,KEY=VALUE"
                        + " (e.g. tversky:alpha=0.3,beta=0.7), got nothing");
            }
            for (String item : splitTopLevel(rest, spec)) put(out, item, "--loss '" + spec + "'", true);
        }
        if (name.isEmpty()) name = DEFAULT;
        if (options != null) {
            for (String item : options) put(out, item, "--loss-option '" + item + "'", false);
        }
        return new Selection(name.toLowerCase(Locale.ROOT), out);
    }

    /** {@link #build(String, Map, int)} of a parsed selection. */
    public static Built build(Selection selection, int classes) {
        return build(selection.name(), selection.options(), classes);
    }

    /**
     * The loss of this name with these options for C = {@code classes} (background included).
     *
     * @throws IllegalArgumentException for an unknown or non-applicable name (listing the valid
     *     ones), an option the loss does not take (listing the ones it does), or a bad value
     */
    public static Built build(String name, Map<String, String> options, int classes) {
        LossDef def = definition(name);
        if (classes < 2) {
            throw new IllegalArgumentException("loss '" + def.name + "': classes must be >= 2 (softmax over C classes, background"
                    + " included), got " + classes);
        }
        Args a = new Args(def, options == null ? Map.of() : options, classes);
        Loss loss;
        try {
            loss = def.factory.make(a);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw m.startsWith("loss '") ? e : new IllegalArgumentException("loss '" + def.name + "': " + m, e);
        }
        return new Built(def.name, a.given, a.resolved(), loss);
    }

    /** The selectable names, default first. */
    public static List<String> names() { return List.copyOf(DEFS.keySet()); }

    /** Losses of the library that are not selectable here, with the reason. */
    public static Map<String, String> notApplicable() { return NOT_APPLICABLE; }

    /** The option keys a loss takes, in help order. */
    public static List<String> options(String name) {
        return definition(name).opts.stream().map(Opt::key).toList();
    }

    /**
     * The options of a loss as this catalogue offers them: the loss's own declarations
     * ({@link LossOption}, e.g. {@code DiceLoss.OPTIONS}) with the catalogue's training defaults in
     * place, in help order. What a study or another front end lists and parses.
     */
    public static List<LossOption<?, ?>> declarations(String name) {
        return definition(name).opts.stream().<LossOption<?, ?>>map(Opt::decl).toList();
    }

    /** The help text: every name with its paper and every option with type, default and allowed values. */
    public static String help() {
        StringBuilder s = new StringBuilder();
        s.append("Losses (--loss NAME; multi-class softmax on the U-Net's logits [B, C, D, H, W] and integer labels [B, D, H, W]).\n");
        s.append("Options: --loss-option KEY=VALUE (repeatable) or --loss 'NAME:KEY=VALUE,KEY=VALUE'. Keys are case-insensitive,\n");
        s.append("'_' = '-'. Lists: [1,2,3] (inside --loss the brackets are required; in --loss-option 1,2,3 works too).\n");
        s.append("C = number of classes incl. background; kept = C, or C - 1 with include-background=false.\n");
        s.append("An option a loss does not list is an error.\n");
        for (LossDef d : DEFS.values()) {
            s.append('\n').append(d.name).append(d.name.equals(DEFAULT) ? " (default)" : "").append(": ").append(d.summary).append('\n');
            s.append("    paper: ").append(d.paper).append('\n');
            for (String n : d.notes) s.append("    ").append(n).append('\n');
            int w = d.opts.stream().mapToInt(o -> o.key().length()).max().orElse(1);
            for (Opt o : d.opts) {
                s.append(String.format(Locale.ROOT, "    %-" + w + "s  %s; default %s. %s%n", o.key(), o.typeText(), o.defaultText(), o.help()));
            }
        }
        s.append("\nNot selectable:\n");
        NOT_APPLICABLE.forEach((k, v) -> s.append("    ").append(k).append(": ").append(v).append('\n'));
        return s.toString();
    }

    /**
     * A built loss: the library loss plus, for scheduled losses, its epoch. The trainer calls
     * {@link #onEpoch} at the start of each epoch and {@link #forward(Var, LabelTensor)} per step.
     */
    public static final class Built implements Loss, EpochAware {
        private final String lossName;
        private final Map<String, String> given, resolved;
        private final Loss loss;
        private final BoundarySchedule schedule;   // null: not scheduled

        Built(String lossName, Map<String, String> given, Map<String, String> resolved, Loss loss) {
            this.lossName = lossName;
            this.given = Collections.unmodifiableMap(new LinkedHashMap<>(given));
            this.resolved = Collections.unmodifiableMap(new LinkedHashMap<>(resolved));
            this.loss = loss;
            this.schedule = loss instanceof BoundarySchedule b ? b : null;
        }

        /** The catalog name, e.g. {@code tversky}. */
        public String catalogName() { return lossName; }

        /** The options as given (normalised keys). */
        public Map<String, String> givenOptions() { return given; }

        /** Every option of the loss with the value in force (given or default). */
        public Map<String, String> resolvedOptions() { return resolved; }

        /** The library loss (a {@link BoundarySchedule} for scheduled losses). */
        public Loss loss() { return loss; }

        /** Whether the loss changes with the epoch (then {@link #onEpoch} matters). */
        public boolean scheduled() { return schedule != null; }

        /**
         * Sets the epoch about to be trained (0-based, {@code 0 <= epoch < epochs}): the schedule's
         * weights are those after {@code epoch} completed epochs. A no-op for unscheduled losses.
         * The schedules here are per epoch count, not per fraction of the run, so {@code epochs}
         * is only checked.
         */
        @Override
        public void onEpoch(int epoch, int epochs) {
            if (epochs < 1) throw new IllegalArgumentException("onEpoch: epochs must be >= 1, got " + epochs);
            if (epoch < 0 || epoch >= epochs) {
                throw new IllegalArgumentException("onEpoch: epoch must be in [0, " + epochs + "), got " + epoch);
            }
            if (schedule != null) schedule.setEpoch(epoch);
        }

        /** {@link #onEpoch}, then this loss: the loss to use during that epoch. */
        public Loss lossForEpoch(int epoch, int epochs) {
            onEpoch(epoch, epochs);
            return this;
        }

        @Override
        public Var forward(Var input, LabelTensor target) { return loss.forward(input, target); }

        @Override
        public Var forward(Var input, Tensor target) { return loss.forward(input, target); }

        /** The selection as it would be written, e.g. {@code tversky:alpha=0.3,beta=0.7}. */
        @Override
        public String name() {
            if (given.isEmpty()) return lossName;
            java.util.StringJoiner j = new java.util.StringJoiner(",", lossName + ":", "");
            given.forEach((k, v) -> j.add(k + "=" + (v.contains(",") && !v.startsWith("[") ? "[" + v + "]" : v)));
            return j.toString();
        }

        /** The name, every option in force, and the library loss (for logs). */
        /**
         * The loss in force as one string, for comparing runs: the name and every option with
         * its value in force (given or default) in the catalog's order, numbers written as
         * {@link Double#toString(double)} writes them, so "dice" and
         * "dice:include-background=false", or alpha=0.30 and alpha=0.3, compare equal, and a
         * changed default does not.
         */
        public String canonical() {
            java.util.StringJoiner j = new java.util.StringJoiner(",", lossName + ":", "");
            resolved.forEach((k, v) -> j.add(k + "=" + canonicalValue(v)));
            return j.toString();
        }

        private static String canonicalValue(String v) {
            String[] parts = v.replace("[", "").replace("]", "").split(",", -1);
            java.util.StringJoiner j = new java.util.StringJoiner(",");
            for (String part : parts) {
                String t = part.strip();
                try {
                    j.add(Double.toString(Double.parseDouble(t)));
                } catch (NumberFormatException notANumber) {
                    j.add(t.toLowerCase(Locale.ROOT));
                }
            }
            return parts.length > 1 ? "[" + j + "]" : j.toString();
        }

        public String describe() {
            return lossName + " " + resolved + " = " + loss.name();
        }

        @Override
        public String toString() { return name(); }
    }

    // ---- parsing helpers ----------------------------------------------------------------------

    private static List<String> splitTopLevel(String s, String spec) {
        List<String> items = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '[') depth++;
            else if (ch == ']') {
                if (--depth < 0) throw new IllegalArgumentException("--loss '" + spec + "': unbalanced ']' at position " + i);
            } else if (ch == ',' && depth == 0) {
                items.add(s.substring(start, i));
                start = i + 1;
            }
        }
        if (depth != 0) throw new IllegalArgumentException("--loss '" + spec + "': unbalanced '[' (a list is [1,2,3])");
        items.add(s.substring(start));
        return items;
    }

    private static void put(Map<String, String> out, String item, String where, boolean inline) {
        String it = item == null ? "" : item.strip();
        int eq = it.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException(where + ": expected KEY=VALUE, got '" + it + "'"
                    + (inline && !it.isEmpty() && eq < 0 ? " (inside --loss a list needs brackets: weight=[1,2,3])" : ""));
        }
        String key = normaliseKey(it.substring(0, eq));
        String value = it.substring(eq + 1).strip();
        if (value.isEmpty()) throw new IllegalArgumentException(where + ": option '" + key + "' has an empty value");
        if (out.containsKey(key)) {
            throw new IllegalArgumentException(where + ": option '" + key + "' given twice ('" + out.get(key) + "' and '" + value + "')");
        }
        out.put(key, value);
    }

    private static String normaliseKey(String k) {
        return k.strip().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static LossDef definition(String name) {
        String n = name == null ? DEFAULT : name.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        LossDef d = DEFS.get(n);
        if (d != null) return d;
        String why = NOT_APPLICABLE.get(n);
        if (why != null) {
            throw new IllegalArgumentException("loss '" + n + "' is not applicable to multi-class softmax training: " + why
                    + "; valid names: " + String.join(", ", DEFS.keySet()));
        }
        throw new IllegalArgumentException("unknown loss '" + name + "'; valid names: " + String.join(", ", DEFS.keySet())
                + " (not applicable here: " + String.join(", ", NOT_APPLICABLE.keySet()) + ")");
    }

    // ---- option declarations ------------------------------------------------------------------

    // Every option is a LossOption: declared by the loss in org.segloss.loss (name, type, default,
    // allowed values, doc line, setter) and listed here, or, for the few settings that exist only
    // here (a composite's weights, a schedule), declared below once.

    /** One option as the catalogue lists and checks it. */
    private record Opt(LossOption<?, ?> decl) {
        String key() { return decl.name(); }

        Kind type() { return decl.kind(); }

        /** The default as a parseable value, or null for none. */
        String def() { return decl.defaultText(); }

        String defaultText() { return decl.shownDefault(); }

        List<String> choices() { return decl.choices(); }

        Range range() { return decl.range(); }

        String length() { return decl.length(); }

        String help() { return decl.doc(); }

        Opt shown(String text) { return new Opt(decl.shown(text)); }

        String typeText() {
            String r = range().text();
            return switch (type()) {
                case NUMBER -> "number" + (r.isEmpty() ? "" : " " + r);
                case INTEGER -> "integer" + (r.isEmpty() ? "" : " " + r);
                case BOOLEAN -> "true|false";
                case CHOICE -> String.join("|", choices());
                case NUMBERS -> "list of numbers" + (r.isEmpty() ? "" : " " + r) + ", " + length();
                case INTEGERS -> "list of " + length() + (r.isEmpty() ? "" : " " + r);
                case CHOICE_OR_INTEGERS, CHOICE_OR_NUMBERS -> String.join("|", choices()) + " or a list of " + length();
            };
        }
    }

    /** The declarations of a loss, in its order, each replaced by the override of the same name where one is given. */
    private static List<Opt> opts(List<LossOption<?, ?>> declared, Opt... overrides) {
        List<Opt> out = new ArrayList<>();
        for (LossOption<?, ?> d : declared) {
            Opt o = new Opt(d);
            for (Opt v : overrides) if (v.key().equals(d.name())) o = v;
            out.add(o);
        }
        for (Opt v : overrides) {
            if (out.stream().noneMatch(o -> o == v)) throw new IllegalStateException("override of undeclared option " + v.key());
        }
        return out;
    }

    /**
     * The training default of include-background where it differs from the library's, with the
     * reason: the one place the catalogue changes a loss's default.
     */
    private static Opt trainingIncludeBackground(LossOption<?, Boolean> declared, boolean value, String why) {
        return new Opt(declared.withDefault(String.valueOf(value), SegmentationLoss.INCLUDE_BACKGROUND_DOC + " (" + why + ")."));
    }

    /** A catalogue-only setting (no builder has it), declared here once. */
    private static Opt num(String key, String def, Range r, String help) {
        return new Opt(LossOption.number(key, def, r, help, null));
    }

    private static final Opt WEIGHT_KEPT = new Opt(SegmentationLoss.WEIGHT);
    private static final Opt REDUCTION = new Opt(SegmentationLoss.REDUCTION);

    /** Keys the factories read by name. */
    private static final String WEIGHT = SegmentationLoss.WEIGHT.name(), INCLUDE_BACKGROUND = "include-background";

    /** hausdorff-dt's added Dice term: a composition of this catalogue, so declared here. */
    private static final String DICE_WEIGHT = "dice-weight";

    // ---- parsed arguments ---------------------------------------------------------------------

    /** The options of one build, validated against the loss's declarations. */
    private static final class Args {
        final LossDef def;
        final int classes;
        final Map<String, String> given = new LinkedHashMap<>();
        final Map<String, Opt> opts = new LinkedHashMap<>();

        Args(LossDef def, Map<String, String> raw, int classes) {
            this.def = def;
            this.classes = classes;
            for (Opt o : def.opts) opts.put(o.key(), o);
            for (Map.Entry<String, String> e : raw.entrySet()) {
                String k = normaliseKey(e.getKey());
                Opt o = opts.get(k);
                if (o == null) {
                    throw new IllegalArgumentException("loss '" + def.name + "': unknown option '" + e.getKey() + "'; " + def.name
                            + " takes: " + (opts.isEmpty() ? "no options" : String.join(", ", opts.keySet())));
                }
                if (given.containsKey(k)) throw err(o, "given twice ('" + given.get(k) + "' and '" + e.getValue() + "')");
                String v = e.getValue() == null ? "" : e.getValue().strip();
                check(o, v);
                given.put(k, v);
            }
        }

        IllegalArgumentException err(Opt o, String what) {
            return new IllegalArgumentException("loss '" + def.name + "': option '" + o.key() + "' " + what);
        }

        /** Type and range of one value (lengths that depend on C are checked by the getters). */
        void check(Opt o, String v) {
            switch (o.type()) {
                case NUMBER -> number(o, v);
                case INTEGER -> integer(o, v);
                case BOOLEAN -> bool(o, v);
                case CHOICE -> choice(o, v);
                case NUMBERS -> numbers(o, v);
                case INTEGERS -> integers(o, v);
                case CHOICE_OR_INTEGERS -> { if (!isChoice(o, v)) integers(o, v); }
                case CHOICE_OR_NUMBERS -> { if (!isChoice(o, v)) numbers(o, v); }
            }
        }

        private boolean isChoice(Opt o, String v) {
            String n = v.toLowerCase(Locale.ROOT).replace('_', '-');
            if (o.choices().contains(n)) return true;
            if (!v.startsWith("[") && !Character.isDigit(v.isEmpty() ? 'x' : v.charAt(0)) && !v.startsWith("-") && !v.startsWith(".")) {
                throw err(o, "must be one of " + String.join(", ", o.choices()) + " or a list of " + o.length() + ", got '" + v + "'");
            }
            return false;
        }

        double number(Opt o, String v) {
            double d;
            try {
                d = Double.parseDouble(v);
            } catch (NumberFormatException e) {
                throw err(o, "must be a number" + rangeSuffix(o) + ", got '" + v + "'");
            }
            if (!Double.isFinite(d)) throw err(o, "must be a finite number" + rangeSuffix(o) + ", got '" + v + "'");
            if (!o.range().contains(d)) throw err(o, "must be " + o.range().text() + ", got " + v);
            return d;
        }

        int integer(Opt o, String v) {
            int i;
            try {
                i = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw err(o, "must be an integer" + rangeSuffix(o) + ", got '" + v + "'");
            }
            if (!o.range().contains(i)) throw err(o, "must be " + o.range().text() + ", got " + v);
            return i;
        }

        boolean bool(Opt o, String v) {
            if (v.equalsIgnoreCase("true")) return true;
            if (v.equalsIgnoreCase("false")) return false;
            throw err(o, "must be true or false, got '" + v + "'");
        }

        String choice(Opt o, String v) {
            String n = v.toLowerCase(Locale.ROOT).replace('_', '-');
            if (!o.choices().contains(n)) throw err(o, "must be one of " + String.join(", ", o.choices()) + ", got '" + v + "'");
            return n;
        }

        private String rangeSuffix(Opt o) {
            String r = o.range().text();
            return r.isEmpty() ? "" : " " + r;
        }

        private List<String> items(Opt o, String v) {
            String s = v.strip();
            if (s.startsWith("[") != s.endsWith("]")) throw err(o, "must be a list [a,b,...], got '" + v + "'");
            if (s.startsWith("[")) s = s.substring(1, s.length() - 1);
            if (s.isBlank()) throw err(o, "must be a non-empty list of " + o.length() + ", got '" + v + "'");
            List<String> out = new ArrayList<>();
            for (String p : s.split(",", -1)) out.add(p.strip());
            return out;
        }

        double[] numbers(Opt o, String v) {
            List<String> it = items(o, v);
            double[] d = new double[it.size()];
            for (int i = 0; i < d.length; i++) {
                try {
                    d[i] = Double.parseDouble(it.get(i));
                } catch (NumberFormatException e) {
                    throw err(o, "must be a list of numbers" + rangeSuffix(o) + ", got '" + it.get(i) + "' at position " + i + " of '" + v + "'");
                }
                if (!Double.isFinite(d[i]) || !o.range().contains(d[i])) {
                    throw err(o, "entries must be finite" + rangeSuffix(o) + ", got " + it.get(i) + " at position " + i + " of '" + v + "'");
                }
            }
            return d;
        }

        int[] integers(Opt o, String v) {
            List<String> it = items(o, v);
            int[] d = new int[it.size()];
            for (int i = 0; i < d.length; i++) {
                try {
                    d[i] = Integer.parseInt(it.get(i));
                } catch (NumberFormatException e) {
                    throw err(o, "must be a list of integers" + rangeSuffix(o) + ", got '" + it.get(i) + "' at position " + i + " of '" + v + "'");
                }
                if (!o.range().contains(d[i])) {
                    throw err(o, "entries must be" + rangeSuffix(o) + ", got " + it.get(i) + " at position " + i + " of '" + v + "'");
                }
            }
            return d;
        }

        // ---- getters used by the factories (the value in force: given, else the default) ----

        private Opt opt(String key) {
            Opt o = opts.get(key);
            if (o == null) throw new IllegalStateException(def.name + " reads undeclared option " + key);
            return o;
        }

        private String raw(String key) {
            Opt o = opt(key);
            return given.getOrDefault(key, o.def());
        }

        boolean has(String key) { return given.containsKey(key); }

        float f(String key) { return (float) number(opt(key), raw(key)); }

        double d(String key) { return number(opt(key), raw(key)); }

        boolean b(String key) { return bool(opt(key), raw(key)); }

        String c(String key) { return choice(opt(key), raw(key)); }

        /** An integer option with no default: null when not given. */
        Integer i(String key) {
            String r = raw(key);
            return r == null ? null : integer(opt(key), r);
        }

        <E extends Enum<E>> E e(String key, Class<E> type) {
            return Enum.valueOf(type, c(key).toUpperCase(Locale.ROOT).replace('-', '_'));
        }

        Reduction reduction() { return e("reduction", Reduction.class); }

        /** A list option of exactly {@code n} numbers, or null when not given. */
        float[] floats(String key, int n, String what) {
            String r = raw(key);
            if (r == null) return null;
            double[] d = numbers(opt(key), r);
            if (d.length != n) throw err(opt(key), "needs " + n + " values (" + what + "), got " + d.length + ": '" + r + "'");
            float[] f = new float[n];
            for (int k = 0; k < n; k++) f[k] = (float) d[k];
            return f;
        }

        /** Per kept class: C, or C - 1 without background. */
        float[] perKept(String key, boolean includeBackground) {
            int kept = includeBackground ? classes : classes - 1;
            return floats(key, kept, includeBackground ? "one per class, C = " + classes + " with include-background=true"
                    : "one per kept class, C - 1 = " + kept + " with include-background=false");
        }

        float[] perClass(String key) {
            return floats(key, classes, "one per class, background included: C = " + classes);
        }

        /** A list of class ids, each in [0, C), distinct; null when not given. */
        int[] classIds(String key) {
            String r = raw(key);
            if (r == null) return null;
            int[] ids = integers(opt(key), r);
            for (int k = 0; k < ids.length; k++) {
                if (ids[k] < 0 || ids[k] >= classes) {
                    throw err(opt(key), "entries must be class ids in [0, " + classes + "), got " + ids[k] + " in '" + r + "'");
                }
                for (int j = 0; j < k; j++) {
                    if (ids[j] == ids[k]) throw err(opt(key), "must not repeat a class, got " + ids[k] + " twice in '" + r + "'");
                }
            }
            return ids;
        }

        double[] spacing() {
            String r = raw("spacing");
            if (r == null) return null;
            double[] s = numbers(opt("spacing"), r);
            if (s.length != 3) throw err(opt("spacing"), "needs 3 values (one per spatial axis D, H, W), got " + s.length + ": '" + r + "'");
            return s;
        }

        /** Rejects an option that has no effect in the configuration chosen by the others. */
        void unusedUnless(boolean used, String key, String why) {
            if (!used && has(key)) throw err(opt(key), "has no effect " + why + "; leave it out");
        }

        /**
         * Sets every scalar option the loss declares with a setter (number, integer, true/false,
         * choice) to its value in force, given or default, through the declaration's setter. List
         * options are set by the factory, which checks their length against C.
         */
        @SuppressWarnings("unchecked")
        <B> B apply(B builder) {
            for (Opt o : def.opts) {
                LossOption<Object, Object> d = (LossOption<Object, Object>) o.decl();
                if (!d.hasSetter()) continue;
                switch (o.type()) {
                    case NUMBER, INTEGER, BOOLEAN, CHOICE -> {
                        String v = raw(o.key());
                        if (v == null) continue;
                        check(o, v);
                        d.set(builder, d.parse(v));
                    }
                    default -> { }
                }
            }
            return builder;
        }

        /** Every option with the value in force, for logs. */
        Map<String, String> resolved() {
            Map<String, String> m = new LinkedHashMap<>();
            for (Opt o : def.opts) m.put(o.key(), given.containsKey(o.key()) ? given.get(o.key()) : o.defaultText());
            return m;
        }
    }

    // ---- the catalog --------------------------------------------------------------------------

    @FunctionalInterface
    private interface Factory {
        Loss make(Args a);
    }

    private record LossDef(String name, String summary, String paper, List<String> notes, List<Opt> opts, Factory factory) {}

    private static final Map<String, LossDef> DEFS = new LinkedHashMap<>();
    private static final Map<String, String> NOT_APPLICABLE;

    private static void def(String name, String summary, String paper, List<String> notes, List<Opt> opts, Factory f) {
        Set<String> keys = new LinkedHashSet<>();
        for (Opt o : opts) if (!keys.add(o.key())) throw new IllegalStateException(name + ": option " + o.key() + " declared twice");
        DEFS.put(name, new LossDef(name, summary, paper, notes, opts, f));
    }

    private static final String BG_DICE = "Dice-family default for U-Net training: false, as nnU-Net";

    static {
        def("dice-ce", "soft Dice + cross-entropy on the same logits, nnU-Net's training loss (DC_and_CE)",
                "Isensee et al., nnU-Net, Nature Methods 2021, arXiv 1809.10486; MONAI DiceCELoss",
                List.of("Defaults = DiceCELoss.nnUnet(false): Dice without background, per-sample Dice; include-background=true is MONAI's DiceCELoss."),
                opts(DiceCELoss.OPTIONS, trainingIncludeBackground(DiceCELoss.INCLUDE_BACKGROUND, false,
                        "Dice part only; nnU-Net: false; the CE always uses every class")),
                a -> {
                    for (LossOption<?, ?> o : List.of(DiceCELoss.INCLUDE_BACKGROUND, DiceCELoss.BATCH, DiceCELoss.SMOOTH_NR,
                            DiceCELoss.SMOOTH_DR, DiceCELoss.SQUARED_PRED, DiceCELoss.JACCARD)) {
                        a.unusedUnless(a.f(DiceCELoss.LAMBDA_DICE.name()) != 0f, o.name(), "with lambda-dice=0 (the Dice part is off)");
                    }
                    a.unusedUnless(a.f(DiceCELoss.LAMBDA_CE.name()) != 0f, DiceCELoss.LABEL_SMOOTHING.name(),
                            "with lambda-ce=0 (the cross-entropy part is off)");
                    DiceCELoss.Builder b = a.apply(DiceCELoss.builder());
                    float[] w = a.perClass(WEIGHT);
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("dice", "soft Dice loss 1 - (2I + s)/(P + G + s) per sample and class (MONAI DiceLoss)",
                "Milletari et al., V-Net, 3DV 2016, arXiv 1606.04797; MONAI DiceLoss",
                List.of(),
                opts(DiceLoss.OPTIONS, trainingIncludeBackground(DiceLoss.INCLUDE_BACKGROUND, false, BG_DICE)),
                a -> {
                    DiceLoss.Builder b = a.apply(DiceLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("jaccard", "soft Jaccard (IoU) loss 1 - (I + s)/(P + G - I + s)",
                "Rahman and Wang, ISVC 2016",
                List.of(),
                opts(JaccardLoss.OPTIONS, trainingIncludeBackground(JaccardLoss.INCLUDE_BACKGROUND, false, BG_DICE)),
                a -> {
                    JaccardLoss.Builder b = a.apply(JaccardLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("sudre-dice", "Sudre's two-class Dice loss DL2 as printed (one foreground channel against all the others)",
                "Sudre et al., DLMIA 2017, arXiv 1707.03237, Sec. 2",
                List.of("DL2 is a two-class loss: with C > 2 it scores foreground-channel one-vs-rest and gives the other classes",
                        "no Dice signal of their own. Its range is about [-1/2, 1] (an empty foreground predicted empty scores -1/2)."),
                opts(SudreDiceLoss.OPTIONS),
                a -> {
                    String key = SudreDiceLoss.FOREGROUND_CHANNEL.name();
                    int fg = a.i(key);
                    if (fg >= a.classes) throw a.err(a.opt(key), "must be < C = " + a.classes + ", got " + fg);
                    return a.apply(SudreDiceLoss.builder()).build();
                });

        def("generalized-dice", "generalised Dice loss: class terms weighted by 1/volume^2 before the ratio (MONAI GeneralizedDiceLoss)",
                "Sudre et al., DLMIA 2017, arXiv 1707.03237",
                List.of("include-background stays true by default (the paper's GDL weighs every class; without background a",
                        "background-only patch has all weights 0 and gives loss 0 with no gradient)."),
                opts(GeneralizedDiceLoss.OPTIONS),
                a -> {
                    GeneralizedDiceLoss.Variant v = a.e(GeneralizedDiceLoss.VARIANT.name(), GeneralizedDiceLoss.Variant.class);
                    a.unusedUnless(v != GeneralizedDiceLoss.Variant.SEGLOSS_V2, RegionLossBuilder.SMOOTH_NR.name(), "with variant=segloss-v2"
                            + " (its numerator has no smoothing)");
                    return a.apply(GeneralizedDiceLoss.builder()).build();
                });

        def("cross-entropy", "multi-class cross-entropy on logits (PyTorch nn.CrossEntropyLoss)",
                "PyTorch CrossEntropyLoss semantics; spec/losses/cross-entropy.md",
                List.of("Always over every class (no include-background); weight has C entries; MEAN is PyTorch's weighted mean."),
                opts(CrossEntropyLoss.OPTIONS),
                a -> {
                    CrossEntropyLoss.Builder b = a.apply(CrossEntropyLoss.builder());
                    float[] w = a.perClass(WEIGHT);
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("weighted-cross-entropy", "cross-entropy whose foreground classes are weighted by (N - S_c)/S_c, recomputed per batch",
                "Sudre et al., DLMIA 2017, arXiv 1707.03237, Sec. 2 (WCE)",
                List.of("With C > 2 every foreground class gets its own automatic weight (segloss's extension of the two-class paper form)."),
                opts(WeightedCrossEntropyLoss.OPTIONS),
                a -> a.apply(WeightedCrossEntropyLoss.builder()).build());

        def("focal", "focal loss -(1 - p_t)^gamma log p_t on the softmax (MONAI FocalLoss)",
                "Lin et al., ICCV 2017, arXiv 1708.02002, Eq. 5",
                List.of("alpha multiplies the background by 1 - alpha and every other class by alpha; alpha-per-class replaces it."),
                opts(FocalLoss.OPTIONS),
                a -> {
                    boolean ib = a.b(INCLUDE_BACKGROUND);
                    String alpha = FocalLoss.ALPHA.name(), perClass = FocalLoss.ALPHA_PER_CLASS.name();
                    if (a.has(alpha) && a.has(perClass)) {
                        throw a.err(a.opt(perClass), "cannot be combined with alpha (one replaces the other); give one of them");
                    }
                    // the variant changes only the softmax without the background and the sum reduction (FocalLoss)
                    a.unusedUnless(!ib || a.reduction() == Reduction.SUM, FocalLoss.VARIANT.name(),
                            "with include-background=true and reduction=mean");
                    FocalLoss.Builder b = a.apply(FocalLoss.builder());
                    float[] apc = a.perKept(perClass, ib);
                    if (apc != null) b.alphaPerClass(apc);
                    float[] w = a.perKept(WEIGHT, ib);
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("sensitivity-specificity", "lambda * MSE over the positive voxels + (1 - lambda) * MSE over the negative voxels, per class",
                "Brosch et al., MICCAI 2015; as in Sudre et al., DLMIA 2017, arXiv 1707.03237 (lambda = 0.05)",
                List.of(),
                opts(SensitivitySpecificityLoss.OPTIONS),
                a -> {
                    SensitivitySpecificityLoss.Builder b = a.apply(SensitivitySpecificityLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("tversky", "Tversky loss 1 - (TP + s)/(TP + alpha FP + beta FN + s) (MONAI TverskyLoss)",
                "Salehi et al., MLMI 2017, arXiv 1706.05721",
                List.of("alpha weighs false positives, beta false negatives (MONAI/Salehi order). The defaults 0.5/0.5 are MONAI's",
                        "and equal the dice loss with twice the smoothing; the paper's best setting is alpha=0.3,beta=0.7."),
                opts(TverskyLoss.OPTIONS, trainingIncludeBackground(TverskyLoss.INCLUDE_BACKGROUND, false, BG_DICE)),
                a -> {
                    TverskyLoss.Builder b = a.apply(TverskyLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("asymmetric-similarity", "F-beta (asymmetric similarity) loss: Tversky with alpha = 1/(1 + b^2), beta = b^2/(1 + b^2)",
                "Hashemi et al., IEEE Access 2018, arXiv 1803.11078",
                List.of(),
                opts(TverskyLoss.ASYMMETRIC_SIMILARITY_OPTIONS, trainingIncludeBackground(TverskyLoss.INCLUDE_BACKGROUND, false, BG_DICE)),
                a -> {
                    TverskyLoss.Builder b = a.apply(TverskyLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("focal-tversky", "focal Tversky loss (1 - TI)^exponent per class",
                "Abraham and Khan, ISBI 2019, arXiv 1810.07842, Eq. 4 (gamma = 4/3: exponent 0.75)",
                List.of("alpha weighs false positives, beta false negatives: the paper's 'alpha = 0.7' (on FN) is beta=0.7 here."),
                opts(FocalTverskyLoss.OPTIONS, trainingIncludeBackground(FocalTverskyLoss.INCLUDE_BACKGROUND, false, BG_DICE)),
                a -> {
                    FocalTverskyLoss.Builder b = a.apply(FocalTverskyLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("exp-log", "exponential logarithmic loss w_Dice (-ln Dice)^g + w_Cross (-ln p)^g",
                "Wong et al., MICCAI 2018, arXiv 1809.00076",
                List.of("Dice term over the kept classes, pooled over the batch (paper); the CE term always uses every class with",
                        "label-frequency weights (or ce-weight). form=segloss is SegLoss's ExpLog_loss (its CE has no power)."),
                opts(ExpLogLoss.OPTIONS),
                a -> {
                    ExpLogLoss.Form form = a.e(ExpLogLoss.FORM.name(), ExpLogLoss.Form.class);
                    a.unusedUnless(form == ExpLogLoss.Form.PAPER, ExpLogLoss.GAMMA_CROSS.name(), "with form=segloss (its cross-entropy has"
                            + " no power)");
                    ExpLogLoss.Builder b = a.apply(ExpLogLoss.builder());
                    float[] w = a.perClass(ExpLogLoss.CE_WEIGHT.name());
                    if (w != null) b.ceWeight(w);
                    return b.build();
                });

        def("overlap", "overlap loss 2 sum p (1 - p) / N: pushes every probability to 0 or 1",
                "Yang et al., STACOM 2018, arXiv 1812.05807 (reconstructed from the description, not verified)",
                List.of("A regulariser: the labels enter only through ignore-index, so alone it learns nothing about them;",
                        "left-atrium is the paper's composite (Dice + overlap + focal-positive)."),
                opts(OverlapLoss.OPTIONS),
                a -> {
                    OverlapLoss.Builder b = a.apply(OverlapLoss.builder());
                    float[] w = a.perKept(WEIGHT, a.b(INCLUDE_BACKGROUND));
                    if (w != null) b.weight(w);
                    return b.build();
                });

        def("focal-positive", "focal cross-entropy over the foreground voxels only",
                "Yang et al., STACOM 2018, arXiv 1812.05807 (reconstructed from the description, not verified)",
                List.of("Background voxels are not supervised: alone it over-segments; left-atrium is the paper's composite."),
                opts(FocalPositiveLoss.OPTIONS),
                a -> a.apply(FocalPositiveLoss.builder()).build());

        def("left-atrium", "Yang et al.'s composite: Dice + lambda-overlap * overlap + lambda-focal-positive * focal-positive",
                "Yang et al., STACOM 2018, arXiv 1812.05807 (reconstructed from the description, not verified)",
                List.of("The Dice term is the dice loss (MONAI defaults, include-background as given); the overlap term excludes",
                        "the background; weights 1, 1 as LeftAtriumLoss.create()."),
                opts(LeftAtriumLoss.OPTIONS, trainingIncludeBackground(LeftAtriumLoss.INCLUDE_BACKGROUND, false, "Dice term; " + BG_DICE)),
                a -> {
                    float lambdaOverlap = a.f(LeftAtriumLoss.LAMBDA_OVERLAP.name()), lambdaFocal = a.f(LeftAtriumLoss.LAMBDA_FOCAL_POSITIVE.name());
                    a.unusedUnless(lambdaFocal != 0f, LeftAtriumLoss.GAMMA.name(), "with lambda-focal-positive=0 (that term is off)");
                    Integer ig = a.i(SegmentationLoss.IGNORE_INDEX.name());
                    DiceLoss.Builder dice = DiceLoss.builder().includeBackground(a.b(INCLUDE_BACKGROUND));
                    OverlapLoss.Builder ov = OverlapLoss.builder();
                    FocalPositiveLoss.Builder fp = LeftAtriumLoss.GAMMA.set(FocalPositiveLoss.builder(), a.f(LeftAtriumLoss.GAMMA.name()));
                    if (ig != null) {
                        dice.ignoreIndex(ig);
                        ov.ignoreIndex(ig);
                        fp.ignoreIndex(ig);
                    }
                    return LeftAtriumLoss.of(dice.build(), lambdaOverlap, ov.build(), lambdaFocal, fp.build());
                });

        def("lovasz-softmax", "Lovasz extension of the per-class Jaccard loss on the softmax probabilities",
                "Berman et al., CVPR 2018, arXiv 1705.08790, Alg. 1",
                List.of(),
                opts(LovaszSoftmaxLoss.OPTIONS),
                a -> {
                    LovaszSoftmaxLoss.Builder b = a.apply(LovaszSoftmaxLoss.builder());
                    String key = LovaszSoftmaxLoss.CLASSES.name(), cl = a.raw(key).toLowerCase(Locale.ROOT);
                    if (cl.equals("present")) b.classes(LovaszSoftmaxLoss.Classes.PRESENT);
                    else if (cl.equals("all")) b.classes(LovaszSoftmaxLoss.Classes.ALL);
                    else {
                        int[] ids = a.classIds(key);
                        for (int id : ids) {
                            if (id == 0 && !a.b(INCLUDE_BACKGROUND)) {
                                throw a.err(a.opt(key), "lists class 0, but include-background=false drops it; got "
                                        + Arrays.toString(ids));
                            }
                        }
                        b.classes(ids);
                    }
                    return b.build();
                });

        def("generalized-wasserstein-dice", "Dice loss whose errors are weighted by a ground distance between the classes",
                "Fidon et al., BrainLes 2017, arXiv 1707.00478, Eqs. 6, 9; MONAI GeneralizedWassersteinDiceLoss",
                List.of("distance-matrix=binary (every confusion costs 1) is the default because C is the only thing known about",
                        "the classes; give C*C row-major distances (zero diagonal) to make related classes cheaper to confuse."),
                opts(GeneralizedWassersteinDiceLoss.OPTIONS),
                a -> {
                    int c = a.classes;
                    double[][] m;
                    String key = GeneralizedWassersteinDiceLoss.DISTANCE_MATRIX.name(), raw = a.raw(key);
                    if (raw.equalsIgnoreCase("binary")) {
                        m = GeneralizedWassersteinDiceLoss.binary(c);
                    } else {
                        double[] flat = a.numbers(a.opt(key), raw);
                        if (flat.length != c * c) {
                            throw a.err(a.opt(key), "needs C*C = " + (c * c) + " values (row-major, C = " + c + "), got " + flat.length);
                        }
                        m = new double[c][c];
                        for (int i = 0; i < c; i++) System.arraycopy(flat, i * c, m[i], 0, c);
                    }
                    return a.apply(GeneralizedWassersteinDiceLoss.builder()).distanceMatrix(m).build();
                });

        def("boundary", "generalised Dice + boundary loss under the paper's per-epoch schedule (BoundarySchedule)",
                "Kervadec et al., MIDL 2019 / MedIA 2021, arXiv 1812.07032, Sec. 3",
                List.of("schedule=paper: alpha * GDL + (1 - alpha) * boundary, alpha = max(floor, 1 - step * epoch): at epoch 0 only GDL.",
                        "schedule=steal-weight: LIVIAETS's StealWeight, weights (max(floor, 1 - step*e), initial-boundary + step*e).",
                        "The region term is generalized-dice with its defaults (background included). The signed distance maps",
                        "are computed from each batch's labels. With step 0.01 a 10-epoch run reaches a boundary weight of",
                        "only 0.09: raise step for short runs (e.g. step=0.1)."),
                opts(BoundarySchedule.OPTIONS),
                a -> {
                    boolean paper = a.c(BoundarySchedule.SCHEDULE.name()).equals("paper");
                    a.unusedUnless(!paper, BoundarySchedule.INITIAL_BOUNDARY.name(), "with schedule=paper (the boundary weight is 1 - alpha)");
                    BoundaryLoss.Builder bb = a.apply(BoundaryLoss.builder());
                    int[] idc = a.classIds(BoundaryLoss.IDC.name());
                    if (idc != null) bb.idc(idc);
                    double[] sp = a.spacing();
                    if (sp != null) bb.spacing(sp);
                    GeneralizedDiceLoss region = GeneralizedDiceLoss.create();
                    double step = a.d(BoundarySchedule.STEP.name());
                    String floor = BoundarySchedule.FLOOR.name();
                    if (paper) {
                        return BoundarySchedule.paper(region, bb.build(), step, a.has(floor) ? a.d(floor) : BoundarySchedule.PAPER_FLOOR);
                    }
                    return BoundarySchedule.stealWeight(region, bb.build(), a.d(BoundarySchedule.INITIAL_BOUNDARY.name()), step,
                            a.has(floor) ? a.d(floor) : BoundarySchedule.STEAL_WEIGHT_FLOOR);
                });

        def("hausdorff-dt", "Hausdorff-distance loss via distance transforms, (p - g)^2 (d_p^a + d_g^a) (MONAI HausdorffDTLoss)",
                "Karimi and Salcudean, IEEE TMI 2020, arXiv 1904.10030, Eq. 8",
                List.of("The distance fields of prediction and labels are computed on every call. The paper trains it together",
                        "with a Dice term whose weight is not reproduced here: dice-weight adds lambda * dice (same include-background)."),
                List.of(new Opt(HausdorffDTLoss.ALPHA), new Opt(HausdorffDTLoss.INCLUDE_BACKGROUND), new Opt(HausdorffDTLoss.BATCH),
                        new Opt(HausdorffDTLoss.LOG), new Opt(HausdorffDTLoss.SPACING),
                        num(DICE_WEIGHT, "0", Range.NON_NEG, "Weight of an added soft Dice term (0: HD_DT alone)."),
                        WEIGHT_KEPT, REDUCTION),
                a -> {
                    boolean ib = a.b(INCLUDE_BACKGROUND);
                    HausdorffDTLoss.Builder b = a.apply(HausdorffDTLoss.builder());
                    double[] sp = a.spacing();
                    if (sp != null) b.spacing(sp);
                    float[] w = a.perKept(WEIGHT, ib);
                    if (w != null) b.weight(w);
                    HausdorffDTLoss hd = b.build();
                    float lambda = a.f(DICE_WEIGHT);
                    if (lambda == 0f) return hd;
                    return WeightedSumLoss.builder().add(1f, hd).add(lambda, DiceLoss.builder().includeBackground(ib).build()).build();
                });

        Map<String, String> na = new LinkedHashMap<>();
        na.put("lovasz-hinge", "binary: LovaszHingeLoss takes one raw logit channel [B, 1, *spatial] with labels 0/1, and the"
                + " U-Net's C softmax logits have no such channel; lovasz-softmax is the multi-class Lovasz loss (same paper)");
        na.put("negated-score", "NegatedScoreLoss is loss - 1 (a reference's -score convention): the same gradient as the loss it"
                + " wraps; tversky offers it as form=negative");
        na.put("weighted-sum", "WeightedSumLoss is the combinator behind dice-ce, left-atrium, boundary and hausdorff-dt's"
                + " dice-weight, not a loss of its own");
        NOT_APPLICABLE = Collections.unmodifiableMap(na);
    }
}
