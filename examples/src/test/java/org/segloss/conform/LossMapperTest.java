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
import org.segloss.autograd.Var;
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
            "monai_gdl_2d_square_emptyclass", "monai_gdl_2d_square_batch_onlyone", "monai_gdl_3d_square_batch_empty",
            "monai_gdl_3d_square_nobg_smooth",
            "monai_tversky_3d_a03_b07", "monai_tversky_2d_a07_b03_nobg", "monai_tversky_3d_batch_empty",
            "monai_focal_2d_sigmoid_g0", "monai_focal_2d_softmax_alpha", "monai_focal_3d_sigmoid_alpha_weight",
            "monai_focal_2d_softmax_nobg",                                      // reference_specific: Variant.MONAI
            "monai_dicece_2d_nobg_weight", "monai_dicece_2d_lambda_ls",
            "gwdl_fidon_3d_default_M4", "gwdl_fidon_3d_gdl_M4", "gwdl_fidon_2d_default_M3x2_normalised",
            "gwdl_fidon_2d_default_M4_allbg", "gwdl_monai_2d_gdl_M3_n1",
            "lovasz_sm_present_batch", "lovasz_sm_all_batch", "lovasz_sm_present_perimage", "lovasz_sm_ignore_present_batch",
            "lovasz_sm_probs_input", "lovasz_sm_3d_present_batch",
            "lovasz_hinge_perimage", "lovasz_hinge_batch", "lovasz_hinge_ignore_perimage",
            "boundary_2d_probs_binary", "boundary_2d_logits_idc12", "boundary_3d_aniso_idc12",
            "dist_2d_multiclass", "dist_2d_aniso", "dist_3d_iso", "dist_3d_aniso", "dist_3d_single_voxel",
            "segloss_softdice_3d_nobg", "segloss_softdice_3d_batch",           // reference_specific: NegatedScoreLoss
            "segloss_gdice_3d", "segloss_gdicev2_3d",                           // reference_specific: variant SEGLOSS, SEGLOSS_V2
            "segloss_tversky_2d",                                               // reference_specific: Form.NEGATIVE
            "segloss_focaltversky_2d_batch", "segloss_focaltversky_2d_g133_bg", // reference_specific: MEAN_THEN_POWER
            "segloss_ss_3d_nobg", "segloss_ss_3d_bg_allbg",                     // reference_specific: segLossBuilder
            "segloss_explog_3d_emptyclass", "segloss_explog_2d_batch",          // reference_specific: Form.SEGLOSS
            "segloss_wce_3d", "segloss_wce_2d_emptyclass", "segloss_wce_2d_noweight",
            "segloss_dc_and_ce_3d",                                            // reference_specific: CE + NegatedScoreLoss(Dice)
            "segloss_asym_3d",                                                  // reference_specific: asymmetricSimilarity, NEGATIVE
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
        assertEquals(46, standard);   // + 5 GWDL, 3 boundary
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
    void aReferenceWithoutALibraryLossSaysSo() {
        LossMapper m = new LossMapper();
        m.register(LossMapper.FIDON, "GeneralizedWassersteinDiceLoss", LossMapper.notYet("GeneralizedWassersteinDiceLoss"));
        Mapping u = m.map(byId("gwdl_fidon_3d_default_M4"));
        Unsupported un = assertInstanceOf(Unsupported.class, u);
        assertEquals(Reason.NOT_IN_LIBRARY, un.reason());
        assertEquals("GeneralizedWassersteinDiceLoss not in the library yet", un.detail());
    }

    @Test
    void gwdlAndBoundaryMapToTheLibrary() {
        Mapping.ForLoss f = assertInstanceOf(Mapping.ForLoss.class, mapper.map(byId("gwdl_fidon_3d_gdl_M4")));
        assertTrue(f.description().contains("weighting=GDL") && f.description().contains("smoothNr=2.22"), f.description());
        Mapping.ForLoss b = assertInstanceOf(Mapping.ForLoss.class, mapper.map(byId("boundary_3d_aniso_idc12")));
        assertTrue(b.description().contains("idc=[1, 2]"), b.description());
        Unsupported bad = unsupported(withOption(byId("gwdl_fidon_3d_gdl_M4"), "weighting_mode", "squared"));
        assertTrue(bad.detail().contains("weighting_mode") && bad.detail().contains("squared"), bad.detail());
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

    // ---- generalized Dice, Tversky family, sensitivity-specificity, exp-log --------------------------

    /** A copy of the case with one implicit constant set. */
    static CaseFile.Case withConstant(CaseFile.Case c, String key, Object value) {
        Map<String, Object> consts = new LinkedHashMap<>(c.implicitConstants());
        consts.put(key, value);
        return copy(c, c.reference(), c.options(), c.effectiveOptions(), consts, c.task(), c.preActivation());
    }

    Status run(CaseFile.Case c) { return new ConformanceRunner(file, mapper).run(c, null).status(); }

    String description(CaseFile.Case c) { return assertInstanceOf(Mapping.ForLoss.class, mapper.map(c), c.id()).description(); }

    @Test
    void monaiGeneralizedDiceHonoursWTypeAndHasNoWeight() {
        CaseFile.Case c = byId("monai_gdl_2d_square_emptyclass");
        assertTrue(description(c).startsWith("GeneralizedDiceLoss(variant=MONAI, activation=SOFTMAX, weightType=SQUARE"),
                description(c));
        assertTrue(description(withOption(c, "w_type", "simple")).contains("weightType=SIMPLE"));
        assertTrue(description(withOption(c, "w_type", "uniform")).contains("weightType=UNIFORM"));
        assertEquals(Status.FAIL, run(withOption(c, "w_type", "simple")));   // the weights matter on this case
        Unsupported w = unsupported(withOption(c, "w_type", "cubic"));
        assertTrue(w.detail().contains("'w_type'") && w.detail().contains("\"cubic\""), w.detail());
        Unsupported weight = unsupported(withOption(c, "weight", List.of(1.0, 1.0, 1.0, 1.0)));
        assertEquals(Reason.OPTION, weight.reason());
        assertTrue(weight.detail().contains("'weight'"), weight.detail());
    }

    @Test
    void monaiTverskyAlphaWeighsFalsePositives() {
        CaseFile.Case c = byId("monai_tversky_2d_a07_b03_nobg");
        assertTrue(description(c).contains("alpha(FP)=0.7, beta(FN)=0.3"), description(c));
        CaseFile.Case swapped = withOption(withOption(c, "alpha", 0.3), "beta", 0.7);
        assertEquals(Status.FAIL, run(swapped));
        assertEquals(Reason.OPTION, unsupported(withOption(c, "weight", List.of(1.0, 1.0, 1.0))).reason());
        // both weights 0: the library refuses it
        Unsupported zero = unsupported(withOption(withOption(c, "alpha", 0.0), "beta", 0.0));
        assertTrue(zero.detail().contains("the library rejects"), zero.detail());
    }

    @Test
    void segLossGeneralizedDiceUsesTheNamedVariants() {
        assertTrue(description(byId("segloss_gdice_3d")).startsWith("GeneralizedDiceLoss(variant=SEGLOSS,"));
        assertTrue(description(byId("segloss_gdicev2_3d")).startsWith("GeneralizedDiceLoss(variant=SEGLOSS_V2, weightType=SQUARE,"
                + " batch=true"));
        // the hard-coded formulas, when listed, must be the ones the variants reproduce
        Unsupported sign = unsupported(withConstant(byId("segloss_gdice_3d"), "sign", "1-GDS"));
        assertEquals(Reason.OPTION, sign.reason());
        assertTrue(sign.detail().contains("'sign'") && sign.detail().contains("1-GDS"), sign.detail());
        Unsupported w = unsupported(withConstant(byId("segloss_gdice_3d"), "weight", "1/count"));
        assertTrue(w.detail().contains("'weight'"), w.detail());
        Unsupported pooled = unsupported(withConstant(byId("segloss_gdicev2_3d"), "reduce_over", "voxels"));
        assertTrue(pooled.detail().contains("'reduce_over'"), pooled.detail());
        // each on the other's case: different formulas, different values
        CaseFile.Case v2 = withSymbol(byId("segloss_gdicev2_3d"), LossMapper.SEGLOSS, "GDiceLoss");
        assertEquals(Reason.OPTION, unsupported(v2).reason());   // V2's listed weight formula is not GDiceLoss's
        assertEquals(Status.FAIL, run(copy(v2, v2.reference(), v2.options(), v2.effectiveOptions(), Map.of(), v2.task(),
                v2.preActivation())));
    }

    /** A case of the reference, or (LIVIAETS GeneralizedDice has none here) the LIVIAETS DiceLoss case under its name. */
    static CaseFile.Case caseOf(String repoSymbol) {
        for (CaseFile.Case c : file.cases()) {
            if ((c.reference().repo() + " " + c.reference().symbol()).equals(repoSymbol)) return c;
        }
        assertEquals(LossMapper.LIVIAETS + " GeneralizedDice", repoSymbol, "a case of " + repoSymbol);
        return withSymbol(byId("liviaets_dice_2d_idc12"), LossMapper.LIVIAETS, "GeneralizedDice");
    }

    @Test
    void everyMappingAcceptsItsReferencesDocumentedConstantsAndOnlyThoseValues() {
        assertTrue(LossMapper.DOCUMENTED_CONSTANTS.containsKey(LossMapper.LIVIAETS + " GeneralizedDice"));
        for (var e : LossMapper.DOCUMENTED_CONSTANTS.entrySet()) {
            CaseFile.Case base = caseOf(e.getKey());
            // the case carrying every documented constant at the reference's value maps as the bare case does
            Map<String, Object> all = new LinkedHashMap<>(e.getValue());
            CaseFile.Case full = copy(base, base.reference(), base.options(), base.effectiveOptions(), all, base.task(),
                    base.preActivation());
            CaseFile.Case bare = copy(base, base.reference(), base.options(), base.effectiveOptions(), Map.of(), base.task(),
                    base.preActivation());
            Mapping m = mapper.map(full);
            assertInstanceOf(Mapping.ForLoss.class, m, e.getKey() + " with " + all + ": " + m);
            assertEquals(description(bare), description(full), e.getKey() + ": the documented constants change nothing");
            // a formula (a string constant) other than the one the library computes is unsupported, naming it
            for (var k : e.getValue().entrySet()) {
                if (!(k.getValue() instanceof String)) continue;
                Unsupported u = unsupported(withConstant(full, k.getKey(), "something else"));
                assertEquals(Reason.OPTION, u.reason(), e.getKey() + " " + k.getKey());
                assertTrue(u.detail().contains("implicit constant '" + k.getKey() + "' must be \"" + k.getValue() + "\""),
                        u.detail());
            }
        }
        // the case: LIVIAETS GeneralizedDice with its weight formula maps, and a constant of no reference does not
        CaseFile.Case gd = withConstant(caseOf(LossMapper.LIVIAETS + " GeneralizedDice"), "weight", "1/(count+1e-10)^2");
        assertInstanceOf(Mapping.ForLoss.class, mapper.map(gd));
        Unsupported unknown = unsupported(withConstant(gd, "temperature", 2.0));
        assertTrue(unknown.detail().contains("implicit constant 'temperature' = 2 not understood"), unknown.detail());
    }

    @Test
    void liviaetsGeneralizedDiceIsItsFormula() throws IOException {
        // no LIVIAETS GeneralizedDice case in this folder: on the DiceLoss case's inputs (idc [1, 2], probabilities)
        // the mapping must give 1 - 2(Σ w I + 1e-10)/(Σ w U + 1e-10), w = 1/(G + 1e-10)², mean over N (in double here)
        CaseFile.Case c = withSymbol(byId("liviaets_dice_2d_idc12"), LossMapper.LIVIAETS, "GeneralizedDice");
        Mapping.ForLoss m = assertInstanceOf(Mapping.ForLoss.class, mapper.map(c));
        assertTrue(m.description().startsWith("GeneralizedDiceLoss(variant=LIVIAETS, weightType=SQUARE, activation=NONE,"
                + " includeBackground=false"), m.description());
        NpyArray in = Npy.read(ConformanceTest.VECTORS.resolve(c.input().file()));
        NpyArray tg = Npy.read(ConformanceTest.VECTORS.resolve(c.target().file()));
        int[] s = in.shape();
        int n = s[0], k = s[1], hw = s[2] * s[3];
        double[] x = in.toDoubles(), t = tg.toDoubles();
        double expected = 0;
        for (int b = 0; b < n; b++) {
            double wi = 0, wu = 0;
            for (int cl = 1; cl < k; cl++) {
                double inter = 0, p = 0, g = 0;
                for (int i = 0; i < hw; i++) {
                    double max = Double.NEGATIVE_INFINITY, z = 0;
                    for (int j = 0; j < k; j++) max = Math.max(max, x[(b * k + j) * hw + i]);
                    for (int j = 0; j < k; j++) z += Math.exp(x[(b * k + j) * hw + i] - max);
                    double pc = Math.exp(x[(b * k + cl) * hw + i] - max) / z;
                    double yc = t[b * hw + i] == cl ? 1 : 0;
                    inter += pc * yc;
                    p += pc;
                    g += yc;
                }
                double w = 1 / Math.pow(g + 1e-10, 2);
                wi += w * inter;
                wu += w * (p + g);
            }
            expected += (1 - 2 * (wi + 1e-10) / (wu + 1e-10)) / n;
        }
        Var xv = Var.param(in.toTensor());
        float got = m.call().apply(xv.softmax(1), new Mapping.CaseInputs(tg.toLabels(), null)).item();
        assertTrue(Tolerance.LOSS.close(got, expected), got + " vs " + expected);
        Unsupported idc = unsupported(withOption(c, "idc", List.of(2.0)));
        assertTrue(idc.detail().contains("'idc'") && idc.detail().contains("GeneralizedDiceLoss"), idc.detail());
    }

    @Test
    void segLossTverskyFamilyOptions() {
        CaseFile.Case tv = byId("segloss_tversky_2d");
        assertTrue(description(tv).startsWith("TverskyLoss(form=NEGATIVE, alpha(FP)=0.3, beta(FN)=0.7, activation=SOFTMAX,"
                + " includeBackground=false"), description(tv));
        Unsupported sq = unsupported(withOption(tv, "square", true));
        assertEquals(Reason.VARIANT_NOT_OFFERED, sq.reason());
        assertTrue(sq.detail().contains("square=True"), sq.detail());
        assertEquals(Reason.OPTION, unsupported(withConstant(tv, "sign", "1-mean(TI)")).reason());
        assertEquals(Status.FAIL, run(withConstant(tv, "alpha", 0.7)));   // the constant is used, not assumed

        CaseFile.Case ft = byId("segloss_focaltversky_2d_g133_bg");
        assertTrue(description(ft).startsWith("FocalTverskyLoss(form=MEAN_THEN_POWER, exponent=1.3333333333333333,"),
                description(ft));
        assertEquals(Status.FAIL, run(withOption(ft, "gamma", 0.75)));
        Map<String, Object> tk = new LinkedHashMap<>(castMap(ft.options().get("tversky_kwargs")));
        tk.put("loss_mask", "x");
        Unsupported nested = unsupported(withOption(ft, "tversky_kwargs", tk));
        assertEquals(Reason.OPTION, nested.reason());
        assertTrue(nested.detail().contains("'loss_mask'") && nested.detail().contains("tversky_kwargs"), nested.detail());
        tk.remove("loss_mask");
        tk.put("square", true);
        assertEquals(Reason.VARIANT_NOT_OFFERED, unsupported(withOption(ft, "tversky_kwargs", tk)).reason());

        CaseFile.Case asym = byId("segloss_asym_3d");
        assertTrue(description(asym).startsWith("TverskyLoss.asymmetricSimilarity(beta=1.5, form=NEGATIVE,"), description(asym));
        assertEquals(Status.FAIL, run(withConstant(asym, "beta", 1.0)));
        assertEquals(Reason.OPTION, unsupported(withConstant(asym, "sign", "-mean(TI)")).reason());
    }

    @Test
    void segLossSsReadsRAndIgnoresSquareAsTheReferenceDoes() {
        CaseFile.Case c = byId("segloss_ss_3d_nobg");
        assertEquals(Status.PASS, run(withOption(c, "square", true)));   // SSLoss stores square and never reads it
        assertEquals(Status.FAIL, run(withConstant(c, "r", 0.05)));     // NiftyNet's ratio: a different value
        Unsupported eps = unsupported(withOption(c, "smooth", 0.0));
        assertTrue(eps.detail().contains("epsilon"), eps.detail());
    }

    @Test
    void segLossExpLogReadsItsNestedKwargsAndConstants() {
        CaseFile.Case c = byId("segloss_explog_2d_batch");
        assertTrue(description(c).contains("ceWeight=[0.1, 0.2, 0.3, 0.4]") && description(c).contains("batch=true"),
                description(c));
        Mapping.ForLoss none = assertInstanceOf(Mapping.ForLoss.class, mapper.map(withOption(c, "wce_kwargs",
                Map.of())));
        assertTrue(none.description().contains("ceWeight=null"), none.description());
        assertEquals(Reason.OPTION, unsupported(withOption(c, "wce_kwargs", Map.of("weight", List.of(1.0, 2.0)))).reason());
        Unsupported scalar = unsupported(withOption(c, "wce_kwargs", Map.of("weight", 2.0)));
        assertTrue(scalar.detail().contains("'weight'"), scalar.detail());
        Map<String, Object> dk = new LinkedHashMap<>(castMap(c.options().get("soft_dice_kwargs")));
        dk.put("apply_nonlin", "softmax_helper");   // fixed by ExpLog_loss itself
        Unsupported nl = unsupported(withOption(c, "soft_dice_kwargs", dk));
        assertTrue(nl.detail().contains("'apply_nonlin'") && nl.detail().contains("soft_dice_kwargs"), nl.detail());
        dk.remove("apply_nonlin");
        dk.put("square", true);
        assertEquals(Reason.VARIANT_NOT_OFFERED, unsupported(withOption(c, "soft_dice_kwargs", dk)).reason());
        Unsupported clamp = unsupported(withConstant(c, "dice_clamp_min", 1e-7));
        assertTrue(clamp.detail().contains("'dice_clamp_min'"), clamp.detail());
        assertEquals(Status.FAIL, run(withConstant(c, "dice_weight", 0.5)));
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
        assertTrue(closing.stream().anyMatch(l -> l.startsWith("  segloss_softdice_2d_square: ")), closing.toString());
        assertTrue(Report.line(results.get(0)).startsWith("PASS         monai_dice_3d_softmax_nobg  [dice, standard]  loss abs err"));
    }
}
