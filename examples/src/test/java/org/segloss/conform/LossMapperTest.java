package org.segloss.conform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.segloss.conform.CaseResult.Status;
import org.segloss.conform.Mapping.Reason;
import org.segloss.conform.Mapping.Unsupported;
import org.segloss.io.Npy;
import org.segloss.io.NpyArray;
import org.segloss.tensor.Tensor;

/** {@link LossMapper} and {@link ConformanceRunner} on the real cases and on edited copies of them. */
class LossMapperTest {
    static CaseFile file;
    final LossMapper mapper = new LossMapper();

    @BeforeAll
    static void load() throws IOException {
        file = ConformanceTest.load();
    }

    static CaseFile.Case byId(String id) {
        return file.cases().stream().filter(c -> c.id().equals(id)).findFirst().orElseThrow();
    }

    /** A copy of the case with one option set (in both options and effective_options). */
    static CaseFile.Case withOption(CaseFile.Case c, String key, Object value) {
        Map<String, Object> opts = new LinkedHashMap<>(c.options());
        Map<String, Object> eff = new LinkedHashMap<>(c.effectiveOptions());
        opts.put(key, value);
        eff.put(key, value);
        return copy(c, c.reference(), opts, eff, c.implicitConstants(), c.task(), c.preActivation());
    }

    static CaseFile.Case copy(CaseFile.Case c, CaseFile.Reference ref, Map<String, Object> opts, Map<String, Object> eff,
                              Map<String, Object> consts, String task, String pre) {
        return new CaseFile.Case(c.id(), task, c.loss(), ref, opts, eff, consts, c.numClasses(), c.spatialDims(), c.input(), pre,
                c.target(), c.auxInputs(), c.expected(), c.conformance(), c.notes(), c.quirk());
    }

    static CaseFile.Case withSymbol(CaseFile.Case c, String repo, String symbol) {
        CaseFile.Reference r = c.reference();
        return copy(c, new CaseFile.Reference(repo, r.commit(), r.file(), symbol, r.call()), c.options(), c.effectiveOptions(),
                c.implicitConstants(), c.task(), c.preActivation());
    }

    Unsupported unsupported(CaseFile.Case c) {
        return assertInstanceOf(Unsupported.class, mapper.map(c), c.id());
    }

    // ---- the Dice cases --------------------------------------------------------------------------------

    /** Every case the mapper maps, by family; all must pass (standard and reference_specific alike). */
    static final List<String> MAPPED = List.of(
            "monai_dice_3d_softmax_nobg", "monai_dice_2d_softmax_squared", "monai_dice_3d_batch", "monai_dice_3d_emptyclass",
            "monai_dice_2d_smooth1_sum", "monai_dice_2d_sigmoid", "monai_dice_2d_probs", "monai_dice_3d_weight",
            "monai_focal_2d_sigmoid_g0", "monai_focal_2d_softmax_alpha", "monai_focal_3d_sigmoid_alpha_weight",
            "monai_focal_2d_softmax_nobg",                                      // reference_specific: Variant.MONAI
            "monai_dicece_2d_nobg_weight", "monai_dicece_2d_lambda_ls",
            "lovasz_sm_present_batch", "lovasz_sm_all_batch", "lovasz_sm_present_perimage", "lovasz_sm_ignore_present_batch",
            "lovasz_sm_probs_input", "lovasz_sm_3d_present_batch",
            "lovasz_hinge_perimage", "lovasz_hinge_batch", "lovasz_hinge_ignore_perimage",
            "dist_2d_multiclass", "dist_2d_aniso", "dist_3d_iso", "dist_3d_aniso", "dist_3d_single_voxel",
            "segloss_softdice_3d_nobg", "segloss_softdice_3d_batch",           // reference_specific: NegatedScoreLoss
            "segloss_wce_3d", "segloss_wce_2d_emptyclass", "segloss_wce_2d_noweight",
            "segloss_dc_and_ce_3d",                                            // reference_specific: CE + NegatedScoreLoss(Dice)
            "liviaets_dice_2d_idc12");

    @Test
    void everyMappedCasePasses() {
        ConformanceRunner runner = new ConformanceRunner(file, mapper);
        List<String> passed = new ArrayList<>();
        for (CaseFile.Case c : file.cases()) {
            if (mapper.map(c) instanceof Unsupported) continue;
            CaseResult r = runner.run(c, null);
            assertEquals(Status.PASS, r.status(), Report.line(r));
            passed.add(c.id());
        }
        assertEquals(MAPPED, passed);
    }

    @Test
    void everyStandardCaseOfAMappedFamilyPasses() {
        ConformanceRunner runner = new ConformanceRunner(file, mapper);
        java.util.Set<String> families = new java.util.HashSet<>();
        for (String id : MAPPED) families.add(byId(id).loss());
        int standard = 0;
        for (CaseFile.Case c : file.cases()) {
            if (!c.conformanceOrStandard().equals("standard") || !families.contains(c.loss())) continue;
            assertEquals(Status.PASS, runner.run(c, null).status(), c.id());
            standard++;
        }
        assertEquals(31, standard);
    }

    @Test
    void preActivationMatters() {
        // LIVIAETS DiceLoss takes probabilities; without the softmax the library sees logits and refuses them
        CaseFile.Case c = byId("liviaets_dice_2d_idc12");
        CaseFile.Case raw = copy(c, c.reference(), c.options(), c.effectiveOptions(), c.implicitConstants(), c.task(), "none");
        CaseResult r = new ConformanceRunner(file, mapper).run(raw, null);
        assertEquals(Status.FAIL, r.status());
        assertTrue(r.detail().contains("probabilities"), r.detail());
        CaseFile.Case odd = copy(c, c.reference(), c.options(), c.effectiveOptions(), c.implicitConstants(), c.task(), "sigmoid");
        assertEquals(Reason.OPTION, new ConformanceRunner(file, mapper).run(odd, null).reason());
    }

    @Test
    void writesWhatCheckNpyReads(@TempDir Path out) throws IOException {
        CaseFile.Case c = byId("monai_dice_3d_weight");
        CaseResult r = new ConformanceRunner(file, mapper).run(c, out);
        assertEquals(Status.PASS, r.status(), r.detail());
        JsonObject json = new Gson().fromJson(Files.readString(out.resolve(c.id() + ".loss.json")), JsonObject.class);
        assertEquals(1, json.size());
        double loss = json.get("loss").getAsDouble();
        assertTrue(Tolerance.LOSS.close(loss, c.expected().loss()), loss + " vs " + c.expected().loss());
        NpyArray grad = Npy.read(out.resolve(c.id() + ".grad.npy"));
        assertEquals(NpyArray.Dtype.FLOAT32, grad.dtype());
        assertEquals(c.expected().gradShape(), java.util.Arrays.stream(grad.shape()).boxed().toList());
    }

    // ---- options: never silently ignored -------------------------------------------------------------

    @Test
    void anUnknownOptionIsUnsupportedWithItsName() {
        Unsupported u = unsupported(withOption(byId("monai_dice_3d_batch"), "ignore_index", 255.0));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("'ignore_index'") && u.detail().contains("255"), u.detail());
    }

    @Test
    void anUnknownImplicitConstantIsUnsupportedWithItsName() {
        CaseFile.Case c = byId("liviaets_dice_2d_idc12");
        Map<String, Object> consts = new LinkedHashMap<>(c.implicitConstants());
        consts.put("sign", "-mean(dice)");
        Unsupported u = unsupported(copy(c, c.reference(), c.options(), c.effectiveOptions(), consts, c.task(), c.preActivation()));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("implicit constant 'sign'"), u.detail());
    }

    @Test
    void optionValuesTheLibraryCannotExpressAreUnsupportedWithNameAndValue() {
        CaseFile.Case dice = byId("monai_dice_3d_batch");
        record Edit(String key, Object value, String mustMention) {}
        for (Edit e : List.of(
                new Edit("batch", "yes", "'batch'"),
                new Edit("other_act", "tanh", "'other_act'"),
                new Edit("sigmoid", true, "'sigmoid'"),            // with softmax: both true
                new Edit("reduction", "none", "'reduction'"),
                new Edit("to_onehot_y", false, "'to_onehot_y'"),
                new Edit("smooth_dr", 0.0, "smoothDr"),            // the library's builder refuses it
                new Edit("weight", List.of(1.0, 2.0), "weight"))) { // 2 weights for 3 classes
            Unsupported u = unsupported(withOption(dice, e.key(), e.value()));
            assertEquals(Reason.OPTION, u.reason(), e.toString());
            assertTrue(u.detail().contains(e.mustMention()), e + ": " + u.detail());
        }
        Unsupported idc = unsupported(withOption(byId("liviaets_dice_2d_idc12"), "idc", List.of(2.0)));
        assertTrue(idc.detail().contains("'idc'") && idc.detail().contains("[2]"), idc.detail());
    }

    @Test
    void aScalarWeightAppliesToEveryClass() {
        CaseFile.Case c = withOption(byId("monai_dice_3d_batch"), "weight", 2.0);
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(c));
        assertTrue(m.description().contains("weight=[2.0, 2.0, 2.0]"), m.description());
    }

    // ---- unsupported losses, variants, references ------------------------------------------------------

    @Test
    void lossesNotInTheLibraryYetSaySo() {
        Unsupported u = unsupported(byId("monai_tversky_3d_a03_b07"));
        assertEquals(Reason.NOT_IN_LIBRARY, u.reason());
        assertEquals("TverskyLoss not in the library yet", u.detail());
        for (String id : List.of("monai_gdl_2d_square_emptyclass", "gwdl_fidon_3d_default_M4", "boundary_3d_aniso_idc12",
                "segloss_gdice_3d", "segloss_focaltversky_2d_batch", "segloss_ss_3d_nobg", "segloss_explog_2d_batch",
                "segloss_asym_3d")) {
            assertEquals(Reason.NOT_IN_LIBRARY, unsupported(byId(id)).reason(), id);
        }
    }

    @Test
    void segLossSoftDiceIsNegatedScoreButSquareIsNotOffered() {
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(byId("segloss_softdice_3d_nobg")));
        assertTrue(m.description().startsWith("-score(DiceLoss(activation=SOFTMAX, includeBackground=false, batch=false"),
                m.description());
        Unsupported u = unsupported(byId("segloss_softdice_2d_square"));
        assertEquals(Reason.VARIANT_NOT_OFFERED, u.reason());
        assertTrue(u.detail().contains("square=True"), u.detail());
        // apply_nonlin None: probabilities (activation NONE); any other callable is not understood
        CaseFile.Case none = withOption(byId("segloss_softdice_3d_nobg"), "apply_nonlin", null);
        assertTrue(assertInstanceOf(Mapping.ForLoss.class, mapper.map(none)).description().contains("activation=NONE"));
        Unsupported nl = unsupported(withOption(byId("segloss_softdice_3d_nobg"), "apply_nonlin", "sigmoid_helper"));
        assertEquals(Reason.OPTION, nl.reason());
        assertTrue(nl.detail().contains("'apply_nonlin'") && nl.detail().contains("sigmoid_helper"), nl.detail());
    }

    @Test
    void aSignConstantOtherThanTheNegatedMeanIsUnsupported() {
        CaseFile.Case c = byId("segloss_softdice_3d_nobg");
        Unsupported u = unsupported(copy(c, c.reference(), c.options(), c.effectiveOptions(), Map.of("sign", "1-mean(dice)"),
                c.task(), c.preActivation()));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("'sign'") && u.detail().contains("1-mean(dice)"), u.detail());
    }

    @Test
    void segLossDcAndCeReadsItsNestedKwargs() {
        CaseFile.Case c = byId("segloss_dc_and_ce_3d");
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(c));
        assertTrue(m.description().startsWith("1 * CrossEntropyLoss(") && m.description().contains(" + 1 * -score(DiceLoss("),
                m.description());
        // a key inside soft_dice_kwargs nobody read (apply_nonlin is fixed by DC_and_CE_loss itself)
        Map<String, Object> dk = new LinkedHashMap<>(castMap(c.options().get("soft_dice_kwargs")));
        dk.put("apply_nonlin", "softmax_helper");
        Unsupported u = unsupported(withOption(c, "soft_dice_kwargs", dk));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("'apply_nonlin'") && u.detail().contains("soft_dice_kwargs"), u.detail());
        dk.remove("apply_nonlin");
        dk.put("square", true);
        assertEquals(Reason.VARIANT_NOT_OFFERED, unsupported(withOption(c, "soft_dice_kwargs", dk)).reason());
        // ce_kwargs are CrossentropyND's
        Mapping.ForLoss w = assertInstanceOf(Mapping.ForLoss.class, mapper.map(withOption(c, "ce_kwargs",
                Map.of("weight", List.of(0.2, 0.3, 0.5)))));
        assertTrue(w.description().contains("weight=[0.2, 0.3, 0.5]"), w.description());
        Unsupported agg = unsupported(withOption(c, "aggregate", "mean"));
        assertTrue(agg.detail().contains("'aggregate'"), agg.detail());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> castMap(Object o) { return (Map<String, Object>) o; }

    @Test
    void crossentropyNdIsTorchCrossEntropy() {
        // no CrossentropyND case in this folder; on the WCE cases' inputs it computes the same torch CE
        CaseFile.Case wce = byId("segloss_wce_3d");
        CaseFile.Case nd = withSymbol(wce, LossMapper.SEGLOSS, "CrossentropyND");
        nd = withOption(withOption(withOption(nd, "ignore_index", -100.0), "reduction", "mean"), "label_smoothing", 0.0);
        assertEquals(Status.PASS, new ConformanceRunner(file, mapper).run(nd, null).status());
        Mapping.ForLoss ii = assertInstanceOf(Mapping.ForLoss.class, mapper.map(withOption(nd, "ignore_index", 255.0)));
        assertTrue(ii.description().contains("ignoreIndex=255"), ii.description());
        assertEquals(Reason.OPTION, unsupported(withOption(nd, "reduction", "none")).reason());
        assertEquals(Reason.OPTION, unsupported(withOption(nd, "weight", List.of(1.0, 2.0))).reason());
        // SegLoss WeightedCrossEntropyLoss(weight) has no other argument
        Unsupported u = unsupported(withOption(wce, "ignore_index", 255.0));
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("'ignore_index'"), u.detail());
    }

    @Test
    void segLossFocalIsAVariantTheLibraryDoesNotOffer() {
        Unsupported u = unsupported(byId("segloss_focal_2d_alpha05"));
        assertEquals(Reason.VARIANT_NOT_OFFERED, u.reason());
        assertTrue(u.detail().contains("label-smoothed p_t"), u.detail());
    }

    @Test
    void monaiFocalOptions() {
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(byId("monai_focal_2d_softmax_nobg")));
        assertTrue(m.description().contains("variant=MONAI") && m.description().contains("includeBackground=false"),
                m.description());
        Unsupported list = unsupported(withOption(byId("monai_focal_2d_softmax_alpha"), "alpha", List.of(0.1, 0.2, 0.3, 0.4)));
        assertEquals(Reason.OPTION, list.reason());
        assertTrue(list.detail().contains("'alpha'"), list.detail());
        // MONAI drops a scalar alpha for softmax without background; the library refuses that combination
        Unsupported dropped = unsupported(withOption(byId("monai_focal_2d_softmax_nobg"), "alpha", 0.25));
        assertEquals(Reason.OPTION, dropped.reason());
        assertTrue(dropped.detail().contains("the library rejects"), dropped.detail());
        // weight: one per kept class
        assertEquals(Reason.OPTION, unsupported(withOption(byId("monai_focal_2d_softmax_nobg"), "weight",
                List.of(1.0, 1.0, 1.0, 1.0))).reason());
    }

    @Test
    void monaiDiceCeNeedsSoftmax() {
        CaseFile.Case c = withOption(withOption(byId("monai_dicece_2d_lambda_ls"), "softmax", false), "sigmoid", true);
        Unsupported u = unsupported(c);
        assertEquals(Reason.OPTION, u.reason());
        assertTrue(u.detail().contains("'softmax'"), u.detail());
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(byId("monai_dicece_2d_nobg_weight")));
        assertTrue(m.description().contains("weight=[0.1, 0.2, 0.3, 0.4]"), m.description());
    }

    @Test
    void lovaszSoftmaxClasses() {
        // the list of every class selects what "all" does
        CaseFile.Case all = byId("lovasz_sm_all_batch");
        CaseFile.Case list = withOption(all, "classes", List.of(0.0, 1.0, 2.0, 3.0));
        assertEquals(Status.PASS, new ConformanceRunner(file, mapper).run(list, null).status());
        Unsupported u = unsupported(withOption(all, "classes", "some"));
        assertTrue(u.detail().contains("'classes'") && u.detail().contains("\"some\""), u.detail());
    }

    @Test
    void lovaszHingeGradientHasTheSavedInputShape(@TempDir Path out) throws IOException {
        CaseFile.Case c = byId("lovasz_hinge_batch");
        CaseResult r = new ConformanceRunner(file, mapper).run(c, out);
        assertEquals(Status.PASS, r.status(), r.detail());
        NpyArray grad = Npy.read(out.resolve(c.id() + ".grad.npy"));
        assertEquals(List.of(2, 7, 9), java.util.Arrays.stream(grad.shape()).boxed().toList());
    }

    @Test
    void unknownReferencesAndTasks() {
        Unsupported u = unsupported(withSymbol(byId("monai_dice_3d_batch"), LossMapper.MONAI, "HausdorffDTLoss"));
        assertEquals(Reason.UNKNOWN_REFERENCE, u.reason());
        assertTrue(u.detail().contains("HausdorffDTLoss"), u.detail());
        CaseFile.Case c = byId("monai_dice_3d_batch");
        Unsupported t = unsupported(copy(c, c.reference(), c.options(), c.effectiveOptions(), c.implicitConstants(), "segment",
                c.preActivation()));
        assertEquals(Reason.UNKNOWN_REFERENCE, t.reason());
    }

    @Test
    void everyReadmeSymbolHasAnEntry() {
        List<String> expected = List.of(
                "Project-MONAI/MONAI DiceLoss", "Project-MONAI/MONAI GeneralizedDiceLoss", "Project-MONAI/MONAI TverskyLoss",
                "Project-MONAI/MONAI FocalLoss", "Project-MONAI/MONAI DiceCELoss",
                "Project-MONAI/MONAI GeneralizedWassersteinDiceLoss",
                "LucasFidon/GeneralizedWassersteinDiceLoss GeneralizedWassersteinDiceLoss",
                "bermanmaxim/LovaszSoftmax lovasz_softmax", "bermanmaxim/LovaszSoftmax lovasz_hinge",
                "LIVIAETS/boundary-loss SurfaceLoss + utils.one_hot2dist", "LIVIAETS/boundary-loss one_hot2dist",
                "LIVIAETS/boundary-loss GeneralizedDice", "LIVIAETS/boundary-loss DiceLoss",
                "JunMa11/SegLoss CrossentropyND", "JunMa11/SegLoss WeightedCrossEntropyLoss", "JunMa11/SegLoss SoftDiceLoss",
                "JunMa11/SegLoss GDiceLoss", "JunMa11/SegLoss GDiceLossV2", "JunMa11/SegLoss TverskyLoss",
                "JunMa11/SegLoss FocalTversky_loss", "JunMa11/SegLoss SSLoss", "JunMa11/SegLoss AsymLoss",
                "JunMa11/SegLoss ExpLog_loss", "JunMa11/SegLoss DC_and_CE_loss", "JunMa11/SegLoss FocalLoss");
        for (String s : expected) assertTrue(mapper.symbols().contains(s), s);
    }

    // ---- the distance-map path of the runner (no transform in the library yet) ------------------------

    @Test
    void distanceMapPlumbingComparesAndWrites(@TempDir Path out) throws IOException {
        CaseFile.Case c = byId("dist_2d_aniso");
        Tensor expected = Npy.readTensor(ConformanceTest.VECTORS.resolve(c.expected().distFile()));
        // a stand-in transform that returns the reference's own map (as float32): exercises load, write and compare only
        LossMapper echo = new LossMapper();
        echo.register(LossMapper.LIVIAETS, "one_hot2dist", (cs, o) -> {
            o.raw("num_classes"); o.raw("resolution"); o.raw("dtype"); o.raw("onehot_dtype");
            return new Mapping.ForDistanceMap("echo", image -> expected);
        });
        CaseResult r = new ConformanceRunner(file, echo).run(c, out);
        assertEquals(Status.PASS, r.status(), r.detail());
        assertTrue(Files.exists(out.resolve(c.id() + ".dist.npy")));

        LossMapper zero = new LossMapper();
        zero.register(LossMapper.LIVIAETS, "one_hot2dist", (cs, o) -> {
            o.raw("num_classes"); o.raw("resolution"); o.raw("dtype"); o.raw("onehot_dtype");
            return new Mapping.ForDistanceMap("zeros", image -> Tensor.zeros(expected.shape()));
        });
        CaseResult z = new ConformanceRunner(file, zero).run(c, null);
        assertEquals(Status.FAIL, z.status());
        assertTrue(z.detail().startsWith("dist: ") && z.detail().contains("elements off"), z.detail());
    }

    @Test
    void oneHot2distWritesTheLibrarysMap(@TempDir Path out) throws IOException {
        CaseFile.Case c = byId("dist_3d_aniso");
        CaseResult r = new ConformanceRunner(file, mapper).run(c, out);
        assertEquals(Status.PASS, r.status(), r.detail());
        NpyArray dist = Npy.read(out.resolve(c.id() + ".dist.npy"));
        assertEquals(c.expected().distShape(), java.util.Arrays.stream(dist.shape()).boxed().toList());
        // dtype None keeps the one-hot's dtype: a float one-hot is the same map, an integer one truncates (not offered)
        CaseFile.Case floatOneHot = withOption(withOption(c, "dtype", null), "onehot_dtype", "float64");
        assertEquals(Status.PASS, new ConformanceRunner(file, mapper).run(floatOneHot, null).status());
        Unsupported u = unsupported(withOption(withOption(c, "dtype", null), "onehot_dtype", "int32"));
        assertEquals(Reason.VARIANT_NOT_OFFERED, u.reason());
        assertTrue(u.detail().contains("truncated"), u.detail());
    }

    // ---- the report --------------------------------------------------------------------------------------

    @Test
    void closingLineIsAloneAndUnsupportedFollowWithReasons() throws IOException {
        List<CaseResult> results = new ConformanceRunner(file, mapper).runAll(null, r -> { });
        List<String> closing = Report.closing(results);
        assertTrue(closing.get(0).matches("\\d+ passed, \\d+ failed"), closing.get(0));
        assertEquals(MAPPED.size() + " passed, 0 failed", closing.get(0));
        long unsupported = results.stream().filter(r -> r.status() == Status.UNSUPPORTED).count();
        assertEquals(unsupported + " unsupported:", closing.get(1));
        assertEquals(unsupported, closing.size() - 2);
        assertTrue(closing.contains("  monai_tversky_3d_a03_b07: TverskyLoss not in the library yet"), closing.toString());
        assertTrue(Report.line(results.get(0)).startsWith("PASS         monai_dice_3d_softmax_nobg  [dice, standard]  loss abs err"));
    }
}
