#include "patient_writer.h"

#include "pancaim/scenarios/ct_phantom.h"
#include "pancaim/scenarios/ct_writer.h"
#include "pancaim/scenarios/tiff_pyramid_writer.h"
#include "pancaim/scenarios/vcf_writer.h"

namespace pancaim::scenarios {
namespace {

Status WriteCt(const PatientTruth& p, const SiteConfig& site, std::uint64_t seed,
               const std::filesystem::path& site_dir, ManifestRow& row) {
  CtVolume volume = RenderCtPhantom(p, site.ct, seed);
  const auto site_index = static_cast<std::uint64_t>(p.site_index);
  const auto patient_index = static_cast<std::uint64_t>(p.patient_index);
  if (site.ct.dicom) {
    DicomSeriesInfo info;
    info.patient_id = p.patient_id;
    info.patient_sex = p.male ? "M" : "F";
    info.patient_age_years = static_cast<int>(p.age_years);
    info.study_uid = DeterministicUid(seed, {site_index, patient_index, 1});
    info.series_uid = DeterministicUid(seed, {site_index, patient_index, 2});
    info.frame_of_reference_uid = DeterministicUid(seed, {site_index, patient_index, 3});
    info.sop_uid_prefix = DeterministicUid(seed, {site_index, patient_index, 4});
    info.manufacturer = site.ct.manufacturer;
    info.institution = site.name;
    row.ct_path = "ct/" + p.patient_id;
    row.ct_series_uid = info.series_uid;
    PANCAIM_RETURN_IF_ERROR(WriteCtDicomSeries(volume, info, site_dir / row.ct_path));
  } else {
    row.ct_path = "ct/" + p.patient_id + ".nii.gz";
    PANCAIM_RETURN_IF_ERROR(WriteCtNifti(volume, site_dir / row.ct_path));
  }
  if (p.has_mask) {
    row.mask_path = "masks/" + p.patient_id + ".nii.gz";
    PANCAIM_RETURN_IF_ERROR(WriteMaskNifti(volume, site_dir / row.mask_path));
  }
  return Status::Ok();
}

Status WriteSlide(const PatientTruth& p, const SiteConfig& site, std::uint64_t seed,
                  const std::filesystem::path& site_dir, PatientOutput& out) {
  RgbImage image = RenderSlide(p, site.slide, seed, &out.slide);
  PyramidTiffOptions options;
  options.tile_px = site.slide.tile_px;
  options.jpeg_quality = site.slide.jpeg_quality;
  options.mpp = site.slide.mpp;
  options.aperio = site.slide.aperio;
  options.description = "pancaim-sim synthetic H&E slide, patient " + p.patient_id;
  std::string path = "slides/" + p.patient_id + (site.slide.aperio ? ".svs" : ".tif");
  PANCAIM_RETURN_IF_ERROR(WritePyramidTiff(image, options, site_dir / path));
  out.row.slide_paths.push_back(path);
  return Status::Ok();
}

}  // namespace

StatusOr<PatientOutput> WritePatient(const PatientTruth& p, const SiteConfig& site,
                                     std::uint64_t seed, const std::filesystem::path& site_dir) {
  PatientOutput out;
  ManifestRow& row = out.row;
  row.patient_id = p.patient_id;
  row.split = p.split;
  row.age = p.age_years;
  row.sex = p.male ? "M" : "F";
  row.ca19_9 = p.ca19_9;
  row.stage = p.stage;
  row.pdac = p.pdac;
  row.survival_months = p.survival_months;
  row.event = p.event;
  if (p.has_ct) PANCAIM_RETURN_IF_ERROR(WriteCt(p, site, seed, site_dir, row));
  if (p.has_slide) PANCAIM_RETURN_IF_ERROR(WriteSlide(p, site, seed, site_dir, out));
  if (p.has_vcf) {
    row.vcf_path = "genomics/" + p.patient_id + ".vcf.gz";
    row.vcf_sample = p.patient_id;
    PANCAIM_RETURN_IF_ERROR(WriteVcf(DrawPatientVariants(p, site.genomics, seed), row.vcf_sample,
                                     site_dir / row.vcf_path));
  }
  return out;
}

}  // namespace pancaim::scenarios
