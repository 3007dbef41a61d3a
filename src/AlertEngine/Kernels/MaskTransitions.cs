using System.Numerics;
using System.Runtime.CompilerServices;

namespace Convoy.AlertEngine.Kernels;

/// <summary>
/// The indices i in [0, n) where a mask's bit differs from the bit before it, the bit before
/// index 0 being <c>before</c> (the last reading of the previous batch, or false). The stateful
/// rule logic (duration, hysteresis) runs only at these indices; between two of them every reading
/// has the same verdict. Bits at n and beyond are ignored, whatever they hold. Allocation-free:
/// <c>foreach (int i in new MaskTransitions(mask, n, before))</c>. Works a word at a time:
/// <c>word ^ (word &lt;&lt; 1 | carry)</c> has a bit set exactly where the value changed.
/// </summary>
internal ref struct MaskTransitions
{
    private readonly ReadOnlySpan<ulong> _mask;
    private readonly int _words;
    private readonly ulong _lastWordBits;
    private int _word;
    private ulong _pending;
    private ulong _carry;
    private int _current;

    public MaskTransitions(ReadOnlySpan<ulong> mask, int n, bool before)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        _words = ViolationMask.WordsFor(n);
        ViolationMask.Check(n, mask.Length);
        _mask = mask;
        int tail = n & 63;
        _lastWordBits = tail == 0 ? ulong.MaxValue : (1UL << tail) - 1;
        _word = -1;
        _pending = 0;
        _carry = before ? 1UL : 0UL;
        _current = -1;
    }

    public readonly int Current => _current;

    public readonly MaskTransitions GetEnumerator() => this;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MoveNext()
    {
        while (_pending == 0)
        {
            if (++_word >= _words)
            {
                return false;
            }

            ulong bits = _mask[_word];
            ulong changes = bits ^ ((bits << 1) | _carry);
            _carry = bits >> 63;
            _pending = _word == _words - 1 ? changes & _lastWordBits : changes;
        }

        _current = (_word << 6) + BitOperations.TrailingZeroCount(_pending);
        _pending &= _pending - 1;
        return true;
    }
}
