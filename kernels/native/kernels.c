/*
 * Native float32 kernels for headless-bench's wasm backend, called through Deno's FFI on pointers into
 * the wasm heap (see kernels/native_lib.ts and kernels/native_backend.ts). Plain C, compiled on first
 * use with -O3 -march=native and OpenMP; each loop runs on up to hb_threads threads once it is large
 * enough to pay for waking them.
 *
 * Every kernel computes in float32 in the same order as the tfjs composition it replaces, so results
 * match the plain backend to rounding (erf and exp are vectorisable approximations within 4e-7).
 * Compiled with -ffp-contract=off: no fused multiply-adds that would change the rounding.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dlfcn.h>


#define HB_VERSION 1

/* Loops of fewer elements than this stay on one thread: waking another costs a few microseconds. */
#define PARALLEL_MIN (1 << 15)

static int hb_threads = 1;

int hb_version(void) { return HB_VERSION; }

int hb_openmp(void) {
#ifdef _OPENMP
  return 1;
#else
  return 0;
#endif
}

void hb_set_threads(int n) { hb_threads = n < 1 ? 1 : n; }

int hb_get_threads(void) { return hb_threads; }

/* Threads for a loop over `work` elements. */
static inline int threads_for(int64_t work) { return work >= PARALLEL_MIN ? hb_threads : 1; }


/*
 * exp(x) in float32 arithmetic only (Cephes' expf: range reduction by ln 2 in two parts and a degree-6
 * polynomial with fused multiply-adds, relative error about 1e-7), so that loops vectorise with no libm
 * call (glibc's vector expf also leaves its fast path below about -87, and masked scores are -1e9). Arguments are
 * clamped to [-87.3, 88.4]: below that the result is 2^-126 instead of a denormal or 0.
 */
static inline float exp_approx(float x) {
  x = x > 88.3762626647949f ? 88.3762626647949f : x;
  x = x < -87.3365447504f ? -87.3365447504f : x;
  /* n = round(x / ln 2) by the 1.5·2^23 trick (floorf would not vectorise). */
  float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  x = fmaf(n, -0.693359375f, x);
  x = fmaf(n, 2.12194440e-4f, x);
  float z = x * x;
  float y = 1.9875691500e-4f;
  y = fmaf(y, x, 1.3981999507e-3f);
  y = fmaf(y, x, 8.3334519073e-3f);
  y = fmaf(y, x, 4.1665795894e-2f);
  y = fmaf(y, x, 1.6666665459e-1f);
  y = fmaf(y, x, 5.0000001201e-1f);
  y = fmaf(y, z, x) + 1.0f;
  union { int32_t i; float f; } scale;
  scale.i = ((int32_t)n + 127) << 23;
  return y * scale.f;
}

/*
 * erf(x) as a rational function of odd degree 13 / even degree 8 in x on [-4, 4] (the approximation
 * Eigen and TensorFlow use; absolute error below 4e-7, and erf(±4) is ±1 to 1.5e-8), so that GELU's
 * loops vectorise with no libm call.
 */
static inline float erf_approx(float x) {
  x = x > 4.0f ? 4.0f : (x < -4.0f ? -4.0f : x);
  float x2 = x * x;
  float p = fmaf(x2, -2.72614225801306e-10f, 2.77068142495902e-08f);
  p = fmaf(p, x2, -2.10102402082508e-06f);
  p = fmaf(p, x2, -5.69250639462346e-05f);
  p = fmaf(p, x2, -7.34990630326855e-04f);
  p = fmaf(p, x2, -2.95459980854025e-03f);
  p = fmaf(p, x2, -1.60960333262415e-02f);
  p = p * x;
  float q = fmaf(x2, -1.45660718464996e-05f, -2.13374055278905e-04f);
  q = fmaf(q, x2, -1.68282697438203e-03f);
  q = fmaf(q, x2, -7.37332916720468e-03f);
  q = fmaf(q, x2, -1.42647390514189e-02f);
  return p / q;
}

/* Softmax entries whose score is this far below the row's maximum are 0 (e^-87 is below FLT_MIN). */
#define EXP_FLOOR (-87.0f)

/* ---- GELU: y = x·Φ(x), Φ(x) = (erf(x/√2) + 1)·0.5; dx = dy·(Φ(x) + x·φ(x)) ---- */

#define GELU_BLOCK 4096

void hb_gelu(const float *x, float *y, int64_t n) {
  const float s = (float)0.70710678118654752440;
  int64_t blocks = (n + GELU_BLOCK - 1) / GELU_BLOCK;
  const int nt = threads_for(n);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    int64_t lo = blk * GELU_BLOCK, hi = lo + GELU_BLOCK < n ? lo + GELU_BLOCK : n;
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
      float cdf = (erf_approx(x[i] * s) + 1.0f) * 0.5f;
      y[i] = x[i] * cdf;
    }
  }
}

void hb_gelu_grad(const float *x, const float *dy, float *dx, int64_t n) {
  const float s = (float)0.70710678118654752440;
  const float inv_sqrt_2pi = (float)0.39894228040143267794;
  int64_t blocks = (n + GELU_BLOCK - 1) / GELU_BLOCK;
  const int nt = threads_for(n);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t blk = 0; blk < blocks; blk++) {
    int64_t lo = blk * GELU_BLOCK, hi = lo + GELU_BLOCK < n ? lo + GELU_BLOCK : n;
#pragma omp simd
    for (int64_t i = lo; i < hi; i++) {
      float v = x[i];
      float cdf = (erf_approx(v * s) + 1.0f) * 0.5f;
      float pdf = exp_approx((v * v) * -0.5f) * inv_sqrt_2pi;
      dx[i] = dy[i] * (cdf + v * pdf);
    }
  }
}


/* ---- Softmax over the last axis of [rows, cols]: exp(x − max) / Σ ---- */

void hb_softmax(const float *x, float *y, int64_t rows, int64_t cols) {
  const int nt = threads_for(rows * cols);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (int64_t j = 0; j < cols; j++) max = xr[j] > max ? xr[j] : max;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) {
      float t = xr[j] - max;
      float e = t > EXP_FLOOR ? exp_approx(t) : 0.0f;
      yr[j] = e;
      sum += e;
    }
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) yr[j] = yr[j] / sum;
  }
}

/*
 * ln p(target) of each row of logits [rows, cols]: x[t] − max − ln Σ exp(x − max), one pass for the
 * maximum and one for the sum, never writing a [rows, cols] result (scoring reads only the targets).
 */
void hb_target_log_probs(const float *x, const int32_t *targets, float *out, int64_t rows, int64_t cols) {
  const int nt = threads_for(rows * cols);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * cols;
    float max = -INFINITY;
#pragma omp simd reduction(max : max)
    for (int64_t j = 0; j < cols; j++) max = xr[j] > max ? xr[j] : max;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < cols; j++) {
      float t = xr[j] - max;
      sum += t > EXP_FLOOR ? exp_approx(t) : 0.0f;
    }
    out[r] = (xr[targets[r]] - max) - logf(sum);
  }
}

/*
 * Attention's softmax backward for p [rows, cols] with upstream dp: ds = p·(dp − Σ_j dp·p)·scale
 * (scale = 1/√dh folds the score scaling into the same pass).
 */
void hb_softmax_grad(const float *p, const float *dp, float *ds, int64_t rows, int64_t cols, float scale) {
  const int nt = threads_for(rows * cols);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *pr = p + r * cols, *dr = dp + r * cols;
    float *sr = ds + r * cols;
    double dot = 0.0;
    for (int64_t j = 0; j < cols; j++) dot += (double)dr[j] * pr[j];
    float d = (float)dot;
#pragma omp simd
    for (int64_t j = 0; j < cols; j++) sr[j] = pr[j] * (dr[j] - d) * scale;
  }
}

/* ---- LayerNorm over the last axis of x [rows, d] ---- */

/* y = (x − mean)·rstd·g + b; also writes each row's mean and rstd = 1/√(var + eps) for the backward. */
void hb_layer_norm(const float *x, const float *g, const float *b, float *y, float *mean, float *rstd,
                   int64_t rows, int64_t d, float eps) {
  const int nt = threads_for(rows * d);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * d;
    float *yr = y + r * d;
    double s = 0.0;
    for (int64_t j = 0; j < d; j++) s += xr[j];
    float mu = (float)(s / d);
    double ss = 0.0;
    for (int64_t j = 0; j < d; j++) {
      float c = xr[j] - mu;
      ss += (double)c * c;
    }
    float rs = 1.0f / sqrtf((float)(ss / d) + eps);
    mean[r] = mu;
    rstd[r] = rs;
#pragma omp simd
    for (int64_t j = 0; j < d; j++) yr[j] = ((xr[j] - mu) * rs) * g[j] + b[j];
  }
}

/*
 * dx = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)) with dxhat = dy·g and xhat = (x − mean)·rstd;
 * dg = Σ_rows dy·xhat; db = Σ_rows dy. Column sums are taken per thread, then added.
 */
void hb_layer_norm_grad(const float *x, const float *g, const float *mean, const float *rstd, const float *dy,
                        float *dx, float *dg, float *db, int64_t rows, int64_t d) {
  /* A fixed number of row blocks, whatever the thread count, each with its own column sums, added in
   * block order: dg and db come out the same on 1 or 2 threads (a resumed run may use either). */
  enum { BLOCKS = 16 };
  float *part = calloc((size_t)BLOCKS * 2 * d, sizeof(float));
  float *scratch = malloc((size_t)BLOCKS * 2 * d * sizeof(float));
  const int nt = threads_for(rows * d);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int blk = 0; blk < BLOCKS; blk++) {
    float *pg = part + (size_t)blk * 2 * d, *pb = pg + d;
    float *xhat = scratch + (size_t)blk * 2 * d, *dxh = xhat + d;
    int64_t lo = rows * blk / BLOCKS, hi = rows * (blk + 1) / BLOCKS;
    for (int64_t r = lo; r < hi; r++) {
      const float *xr = x + r * d, *dyr = dy + r * d;
      float *dxr = dx + r * d;
      float mu = mean[r], rs = rstd[r];
      double s1 = 0.0, s2 = 0.0;
      for (int64_t j = 0; j < d; j++) {
        xhat[j] = (xr[j] - mu) * rs;
        dxh[j] = dyr[j] * g[j];
        s1 += dxh[j];
        s2 += (double)dxh[j] * xhat[j];
        pg[j] += dyr[j] * xhat[j];
        pb[j] += dyr[j];
      }
      float m1 = (float)(s1 / d), m2 = (float)(s2 / d);
#pragma omp simd
      for (int64_t j = 0; j < d; j++) dxr[j] = rs * ((dxh[j] - m1) - xhat[j] * m2);
    }
  }
  for (int64_t j = 0; j < d; j++) {
    float sg = 0.0f, sb = 0.0f;
    for (int blk = 0; blk < BLOCKS; blk++) {
      sg += part[(size_t)blk * 2 * d + j];
      sb += part[(size_t)blk * 2 * d + d + j];
    }
    dg[j] = sg;
    db[j] = sb;
  }
  free(part);
  free(scratch);
}

/* ---- AdamW, as train/adamw.ts composes it from tfjs kernels, one float32 rounding per kernel ---- */

/*
 * m' = m·b1 + g·(1−b1); v' = v·b2 + g²·(1−b2); p' = p·decay − (m' / (√v' / sbc2 + eps))·step.
 * c = {b1, 1−b1, b2, 1−b2, sbc2 = √(1−b2^t), eps, decay = 1−lr·wd (1 = none), step = lr/(1−b1^t)}.
 */
void hb_adamw(const float *p, const float *m, const float *v, const float *g, float *p_out, float *m_out,
              float *v_out, int64_t n, const float *c, int decay) {
  const float b1 = c[0], omb1 = c[1], b2 = c[2], omb2 = c[3], sbc2 = c[4], eps = c[5], dec = c[6], step = c[7];
  const int nt = threads_for(n);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t i = 0; i < n; i++) {
    float mn = m[i] * b1 + g[i] * omb1;
    float g2 = g[i] * g[i];
    float vn = v[i] * b2 + g2 * omb2;
    float denom = sqrtf(vn) / sbc2 + eps;
    float pd = decay ? p[i] * dec : p[i];
    p_out[i] = pd - (mn / denom) * step;
    m_out[i] = mn;
    v_out[i] = vn;
  }
}

/* ---- Elementwise binary ops with the broadcasts the model uses ---- */

/*
 * One row of out = a ∘ b for op * 2 + swap (see hb_binary), B being b's element j: `br[j]` or the
 * scalar `s`. A macro so that each case stays a plain loop the compiler vectorises.
 */
#define HB_BINARY_ROW(B)                                                   \
  switch (op * 2 + swap) {                                                 \
    case 0: case 1:                                                        \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) o[j] = ar[j] + (B); \
      break;                                                               \
    case 2:                                                                \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) o[j] = ar[j] - (B); \
      break;                                                               \
    case 3:                                                                \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) o[j] = (B) - ar[j]; \
      break;                                                               \
    case 4: case 5:                                                        \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) o[j] = ar[j] * (B); \
      break;                                                               \
    case 6:                                                                \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) o[j] = ar[j] / (B); \
      break;                                                               \
    default:                                                               \
      _Pragma("omp simd") for (int64_t j = 0; j < m; j++) o[j] = (B) / ar[j]; \
  }

/*
 * out = a ∘ b, op 0 = add, 1 = sub, 2 = mul, 3 = div. b is repeated: b_len = n (same shape), 1
 * (scalar), or the row length (b [d] against a [rows, d]); with col = 1, b holds one value per row of
 * length `inner` instead (b [rows, 1]). swap = 1 computes b ∘ a (for sub and div with a scalar first).
 */
void hb_binary(const float *a, const float *b, float *out, int64_t n, int64_t b_len, int64_t inner, int col,
               int op, int swap) {
  int64_t rows = (b_len == n || b_len == 1) ? (n + 4095) / 4096 : (col ? b_len : n / b_len);
  int64_t len = (b_len == n || b_len == 1) ? 4096 : (col ? inner : b_len);
  const int nt = threads_for(n);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    int64_t lo = r * len, hi = lo + len < n ? lo + len : n;
    const float *ar = a + lo;
    float *o = out + lo;
    int64_t m = hi - lo;
    if (b_len == n) {
      const float *br = b + lo;
      HB_BINARY_ROW(br[j])
    } else if (b_len == 1 || col) {
      float s = col ? b[r] : b[0];
      HB_BINARY_ROW(s)
    } else {
      HB_BINARY_ROW(b[j])
    }
  }
}

/* ---- Batched products: the batch's sgemm calls spread over the threads ---- */

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
static sgemm_fn hb_sgemm = 0;

/* Binds cblas_sgemm from the BLAS library at `path` (already opened by the caller); 1 on success. */
int hb_bind_sgemm(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (!h) h = dlopen(path, RTLD_NOW);
  if (!h) return 0;
  hb_sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
  return hb_sgemm != 0;
}

/*
 * C[t] = op(A[a_off[t]])·op(B[b_off[t]]) + beta·C[t] for t < count (row-major; offsets in floats; C[t]
 * at t·m·n), one single-threaded sgemm per matrix, the matrices shared out over the threads. For the
 * many small products of batched attention, which BLAS itself runs on one thread.
 */
void hb_sgemm_batch(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, const float *a, const float *b, float *c,
                    const int64_t *a_off, const int64_t *b_off, int64_t count, int64_t lda, int64_t ldb, float beta) {
  const int nt = count > 1 ? hb_threads : 1;
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t t = 0; t < count; t++) {
    hb_sgemm(101, trans_a ? 112 : 111, trans_b ? 112 : 111, (int)m, (int)n, (int)k, 1.0f, a + a_off[t], (int)lda,
             b + b_off[t], (int)ldb, beta, c + t * m * n, (int)n);
  }
}

/* ---- Layout copies for attention ---- */

/* y [A, Y, X, C] = x [A, X, Y, C]: axes 1 and 2 swapped (tfjs Transpose with perm [.., i+1, i, ..]). */
void hb_swap_axes(const float *x, float *y, int64_t a_dim, int64_t x_dim, int64_t y_dim, int64_t c_dim) {
  const int nt = threads_for(a_dim * x_dim * y_dim * c_dim);
#pragma omp parallel for num_threads(nt) schedule(static) collapse(2)
  for (int64_t a = 0; a < a_dim; a++) {
    for (int64_t j = 0; j < y_dim; j++) {
      float *dst = y + (a * y_dim + j) * x_dim * c_dim;
      const float *src = x + (a * x_dim * y_dim + j) * c_dim;
      for (int64_t i = 0; i < x_dim; i++) {
        float *d = dst + i * c_dim;
        const float *sr = src + i * y_dim * c_dim;
#pragma omp simd
        for (int64_t c = 0; c < c_dim; c++) d[c] = sr[c];
      }
    }
  }
}

/*
 * qkv [B, T, 3, H, dh] -> q, k, v [B, H, T, dh] (the three parts of a fused projection, one matrix per
 * (batch, head) pair); with merge = 1 the other way round, q, k, v -> qkv (their gradients).
 */
void hb_heads(float *qkv, float *q, float *k, float *v, int64_t b_dim, int64_t t_dim, int64_t h_dim, int64_t dh,
              int merge) {
  float *parts[3] = {q, k, v};
  const int nt = threads_for(b_dim * t_dim * 3 * h_dim * dh);
#pragma omp parallel for num_threads(nt) schedule(static) collapse(2)
  for (int64_t b = 0; b < b_dim; b++) {
    for (int64_t h = 0; h < h_dim; h++) {
      for (int p = 0; p < 3; p++) {
        float *head = parts[p] + (b * h_dim + h) * t_dim * dh;
        float *row = qkv + ((b * t_dim) * 3 * h_dim + p * h_dim + h) * dh;
        for (int64_t t = 0; t < t_dim; t++) {
          float *r = row + t * 3 * h_dim * dh, *hd = head + t * dh;
          if (merge) {
#pragma omp simd
            for (int64_t c = 0; c < dh; c++) r[c] = hd[c];
          } else {
#pragma omp simd
            for (int64_t c = 0; c < dh; c++) hd[c] = r[c];
          }
        }
      }
    }
  }
}
