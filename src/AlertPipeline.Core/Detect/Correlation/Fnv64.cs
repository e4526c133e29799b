namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>
/// FNV-1a, 64 bits, as an immutable value (<c>h = h.Add(x)</c>): a stable hash for keys that outlive the process
/// (stored state, event identities), where <see cref="HashCode"/> is randomised per process. A collision only
/// merges two values in one count; nothing relies on it against an adversary beyond that.
/// </summary>
internal readonly struct Fnv64
{
    private const ulong Offset = 14695981039346656037UL;
    private const ulong Prime = 1099511628211UL;

    private readonly ulong _hash;
    private readonly bool _started;

    private Fnv64(ulong hash)
    {
        _hash = hash;
        _started = true;
    }

    public ulong Value => _started ? _hash : Offset;

    public Fnv64 Add(ReadOnlySpan<char> text)
    {
        var hash = Value;
        foreach (var c in text)
        {
            hash = (hash ^ (byte)c) * Prime;
            hash = (hash ^ (byte)(c >> 8)) * Prime;
        }

        // A separator so ("ab", "c") and ("a", "bc") differ.
        return new Fnv64((hash ^ 0xFF) * Prime);
    }

    public Fnv64 Add(string text) => Add(text.AsSpan());

    public Fnv64 Add(long value)
    {
        var hash = Value;
        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ (byte)(value >> (8 * i))) * Prime;
        }

        return new Fnv64(hash);
    }
}
