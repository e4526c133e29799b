using System.Collections.Frozen;
using System.Net;

namespace AlertPipeline.Core.Enrich;

/// <summary>
/// An immutable index of the inventory: by id, and by address with lease periods, so a firewall event
/// that only knows an IP is joined to the sandbox that held it at the event's time.
/// </summary>
public sealed class SandboxSnapshot
{
    private readonly FrozenDictionary<string, SandboxRecord> _byId;
    private readonly FrozenDictionary<string, SandboxRecord>.AlternateLookup<ReadOnlySpan<char>> _byIdSpan;
    private readonly FrozenDictionary<string, Lease[]> _byIp;
    private readonly FrozenDictionary<string, EgressPolicy> _egress;
    private readonly FrozenDictionary<string, GpuWorkload>.AlternateLookup<ReadOnlySpan<char>> _gpuById;
    private readonly FrozenDictionary<string, Lease[]>.AlternateLookup<ReadOnlySpan<char>> _byIpSpan;

    /// <summary>Indexes <paramref name="sandboxes"/>.</summary>
    public SandboxSnapshot(IEnumerable<SandboxRecord> sandboxes)
    {
        var list = sandboxes.ToList();
        _byId = list.ToFrozenDictionary(s => s.Id, StringComparer.Ordinal);
        _byIp = list
            .SelectMany(s => s.Addresses.Select(a => (Ip: Normalize(a.Ip), Lease: new Lease(a.ValidFrom.UtcTicks, a.ValidTo?.UtcTicks ?? long.MaxValue, s))))
            .GroupBy(x => x.Ip, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Lease).OrderBy(l => l.From).ToArray(), StringComparer.Ordinal);
        _egress = list.ToFrozenDictionary(s => s.Id, s => EgressPolicy.Compile(s.AllowedEgress), StringComparer.Ordinal);
        // Only sandboxes with GPU information: the enricher's one lookup also tells it whether to judge at all.
        _gpuById = list.Select(s => (s.Id, Workload: GpuWorkload.Compile(s))).Where(x => !x.Workload.IsEmpty)
            .ToFrozenDictionary(x => x.Id, x => x.Workload, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        _byIdSpan = _byId.GetAlternateLookup<ReadOnlySpan<char>>();
        _byIpSpan = _byIp.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>An empty inventory.</summary>
    public static SandboxSnapshot Empty { get; } = new([]);

    /// <summary>Number of sandboxes.</summary>
    public int Count => _byId.Count;

    /// <summary>The sandbox with <paramref name="id"/>, or null.</summary>
    public SandboxRecord? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>The sandbox with <paramref name="id"/>, or null, without allocating.</summary>
    public SandboxRecord? Find(ReadOnlySpan<char> id) => _byIdSpan.TryGetValue(id, out var sandbox) ? sandbox : null;

    /// <summary>Every sandbox.</summary>
    public IEnumerable<SandboxRecord> All => _byId.Values;

    /// <summary>The sandbox that held <paramref name="ip"/> at <paramref name="utcTicks"/>, or null.</summary>
    public SandboxRecord? FindByAddress(ReadOnlySpan<char> ip, long utcTicks)
    {
        if (!_byIpSpan.TryGetValue(ip, out var leases))
        {
            return null;
        }

        foreach (var lease in leases)
        {
            if (utcTicks >= lease.From && utcTicks < lease.To)
            {
                return lease.Sandbox;
            }
        }

        return null;
    }

    /// <summary>The compiled allowed egress of <paramref name="sandbox"/> (built once per snapshot).</summary>
    public EgressPolicy? EgressOf(SandboxRecord sandbox) => _egress.GetValueOrDefault(sandbox.Id);

    /// <summary>
    /// The compiled scheduled GPU work of the sandbox with <paramref name="sandboxId"/> (built once per snapshot), or null
    /// when the sandbox is unknown or its inventory row has no GPU information. Does not allocate.
    /// </summary>
    public GpuWorkload? GpuWorkloadOf(ReadOnlySpan<char> sandboxId) => _gpuById.TryGetValue(sandboxId, out var workload) ? workload : null;

    private static string Normalize(string ip) => IPAddress.TryParse(ip, out var parsed) ? parsed.ToString() : ip;

    private readonly record struct Lease(long From, long To, SandboxRecord Sandbox);
}
