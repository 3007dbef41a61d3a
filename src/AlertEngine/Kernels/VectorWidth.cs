using System.Runtime.Intrinsics;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// The widest vector a kernel may use. Production passes <see cref="VectorWidths.Widest"/>; tests and
/// benchmarks force each narrower path so every path is proven against the scalar reference on any
/// machine (an unaccelerated width still runs, through the runtime's software fallback).
/// </summary>
internal enum VectorWidth
{
    Scalar = 0,
    W128 = 128,
    W256 = 256,
    W512 = 512,
}

internal static class VectorWidths
{
    /// <summary>
    /// The widest accelerated width of this process: AVX-512 and AVX2 on x64, AdvSimd (128) on the
    /// trucks' ARM64 gateways, <see cref="VectorWidth.Scalar"/> with <c>DOTNET_EnableHWIntrinsic=0</c>.
    /// A static readonly, so the tier-1 JIT folds the dispatch in the kernels to one path.
    /// </summary>
    public static readonly VectorWidth Widest =
        Vector512.IsHardwareAccelerated ? VectorWidth.W512
        : Vector256.IsHardwareAccelerated ? VectorWidth.W256
        : Vector128.IsHardwareAccelerated ? VectorWidth.W128
        : VectorWidth.Scalar;
}
