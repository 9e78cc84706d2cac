// Tiny synthetic datasets for the model-zoo tests: 8 patients whose labels are learnable from the
// inputs, small enough that each model overfits them in seconds on one CPU core.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "pancaim/model_zoo/sample.h"

namespace pancaim::zoo::testing {

inline std::string PatientId(int i) { return std::string("patient-").append(std::to_string(i)); }

// CT crops [1, s, s, s]: label 1 has a bright cube in the middle; ct_mask marks it as class 2 and a
// surrounding shell as class 1 (for segmentation).
inline std::vector<Sample> CtSamples(int count, int side, std::uint64_t seed = 1) {
  torch::manual_seed(seed);
  std::vector<Sample> out;
  for (int i = 0; i < count; ++i) {
    Sample s;
    s.patient_id = PatientId(i);
    torch::Tensor ct = torch::randn({1, side, side, side}) * 0.1;
    torch::Tensor mask = torch::zeros({side, side, side}, torch::kInt64);
    const int lo = side / 4, hi = side - side / 4;
    mask.slice(0, lo, hi).slice(1, lo, hi).slice(2, lo, hi).fill_(1);
    if (i % 2 == 1) {
      const int a = side / 2 - 1, b = side / 2 + 1;
      ct.slice(1, a, b).slice(2, a, b).slice(3, a, b).add_(2.0);
      mask.slice(0, a, b).slice(1, a, b).slice(2, a, b).fill_(2);
    }
    ct.slice(1, lo, hi).slice(2, lo, hi).slice(3, lo, hi).add_(0.5);
    s.ct = ct;
    s.ct_mask = mask;
    s.labels.label = i % 2;
    out.push_back(std::move(s));
  }
  return out;
}

// Tile bags of 2..4 tiles [3, t, t]; label 1 bags contain one tile with a bright red channel.
inline std::vector<Sample> TileSamples(int count, int tile, std::uint64_t seed = 2) {
  torch::manual_seed(seed);
  std::vector<Sample> out;
  for (int i = 0; i < count; ++i) {
    Sample s;
    s.patient_id = PatientId(i);
    torch::Tensor tiles = torch::randn({2 + i % 3, 3, tile, tile}) * 0.1;
    if (i % 2 == 1) tiles[0][0].add_(2.0);
    s.tiles = tiles;
    s.labels.label = i % 2;
    out.push_back(std::move(s));
  }
  return out;
}

// Genomics [g] and clinical [c] features with a few missing clinical values. Survival time falls
// with feature 0 (distinct times, mostly events); label = feature 0 > 0.
inline std::vector<Sample> TabularSamples(int count, int g, int c, std::uint64_t seed = 3) {
  torch::manual_seed(seed);
  std::vector<Sample> out;
  for (int i = 0; i < count; ++i) {
    Sample s;
    s.patient_id = PatientId(i);
    torch::Tensor genomics = torch::randn({g});
    const float signal = static_cast<float>(i) / static_cast<float>(count) - 0.5f;
    genomics[0] = signal * 4.0f;
    s.genomics = genomics;
    if (c > 0) {
      torch::Tensor clinical = torch::randn({c});
      torch::Tensor missing = torch::zeros({c}, torch::kBool);
      if (i % 3 == 0) {
        missing[c - 1] = true;
        clinical[c - 1] = std::nanf("");
      }
      s.clinical = clinical;
      s.clinical_missing = missing;
    }
    s.labels.label = signal > 0 ? 1 : 0;
    s.labels.survival_time = 10.0 - 1.0 * i;
    s.labels.event = i != 2;
    out.push_back(std::move(s));
  }
  return out;
}

// 28x28 images: the class is encoded by which of 10 horizontal bands is bright.
inline std::vector<Sample> ImageSamples(int count, std::uint64_t seed = 4) {
  torch::manual_seed(seed);
  std::vector<Sample> out;
  for (int i = 0; i < count; ++i) {
    Sample s;
    s.patient_id = PatientId(i);
    torch::Tensor image = torch::randn({1, 28, 28}) * 0.1;
    const int label = i % 10;
    image.slice(1, label * 2 + 4, label * 2 + 6).add_(1.0);
    s.image = image;
    s.labels.label = label;
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace pancaim::zoo::testing
