// examples/cpp/main.cpp: an exported network used from C++. The generated
// header is C with `extern "C"` guards, so a C++ program includes it as is and
// links the two generated C files (compiled as C). `netc export
// specs/iris_mlp.net` baked the trained weights and the input scaling in, so
// predict takes the raw measurements in centimetres.
#include <array>
#include <cstdio>
#include <vector>

#include "iris_mlp_infer.h"

namespace {

using Sample = std::array<float, IRIS_MLP_INPUT_SIZE>;
using Scores = std::array<float, IRIS_MLP_OUTPUT_SIZE>;

const char *const species[IRIS_MLP_OUTPUT_SIZE] = {"setosa", "versicolor", "virginica"};

std::size_t classify(const Sample &x, Scores &p)
{
    iris_mlp_predict(x.data(), p.data());
    std::size_t best = 0;
    for (std::size_t k = 1; k < p.size(); k++)
        if (p[k] > p[best])
            best = k;
    return best;
}

}  // namespace

int main()
{
    // sepal length, sepal width, petal length, petal width (cm), and the species
    const std::vector<std::pair<Sample, std::size_t>> flowers = {
        {{5.1f, 3.5f, 1.4f, 0.2f}, 0},
        {{6.4f, 3.2f, 4.5f, 1.5f}, 1},
        {{6.3f, 3.3f, 6.0f, 2.5f}, 2},
        {{4.9f, 3.0f, 1.4f, 0.2f}, 0},
        {{5.7f, 2.8f, 4.1f, 1.3f}, 1},
        {{7.2f, 3.6f, 6.1f, 2.5f}, 2},
    };
    std::size_t correct = 0;
    std::vector<Scores> scores;
    for (const auto &f : flowers) {
        Scores p;
        std::size_t k = classify(f.first, p);
        scores.push_back(p);
        correct += k == f.second;
        std::printf("%.1f %.1f %.1f %.1f -> %-10s (p = %.3f)\n", static_cast<double>(f.first[0]),
                    static_cast<double>(f.first[1]), static_cast<double>(f.first[2]),
                    static_cast<double>(f.first[3]), species[k], static_cast<double>(p[k]));
    }
    // the batched entry point gives the same scores
    std::vector<float> in, out(flowers.size() * IRIS_MLP_OUTPUT_SIZE);
    for (const auto &f : flowers)
        in.insert(in.end(), f.first.begin(), f.first.end());
    iris_mlp_predict_batch(in.data(), out.data(), static_cast<int>(flowers.size()));
    for (std::size_t i = 0; i < flowers.size(); i++)
        for (std::size_t k = 0; k < IRIS_MLP_OUTPUT_SIZE; k++)
            if (out[i * IRIS_MLP_OUTPUT_SIZE + k] != scores[i][k]) {
                std::printf("predict_batch differs from predict at flower %zu\n", i);
                return 1;
            }
    std::printf("%zu of %zu correct (C++, exported network, %d bytes of stack)\n", correct,
                flowers.size(), IRIS_MLP_STACK_BYTES);
    return correct == flowers.size() ? 0 : 1;
}
