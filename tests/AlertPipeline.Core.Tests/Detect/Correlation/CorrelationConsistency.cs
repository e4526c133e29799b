using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Tests.Detect.Correlation;

/// <summary>
/// One workload delivered four ways — one batch, one batch per event, two instances on two partitions at once,
/// and a restart half way — must leave the same correlation alerts with the same counts. Shared by the in-memory
/// test here and the Table Storage test on Azurite (which links this file).
/// </summary>
public static class CorrelationConsistency
{
    public enum Delivery
    {
        OneBatch,
        BatchPerEvent,
        TwoInstances,
        Restart,
    }

    /// <summary>Rules of the workload: an SSH burst (event_count) and internal discovery (value_count).</summary>
    internal static readonly string[] Rules =
    [
        CorrelationRules.Ssh, CorrelationRules.Internal, CorrelationRules.EventCount(gte: 5), CorrelationRules.ValueCount(gte: 8),
    ];

    /// <summary>
    /// sbx-a: 9 SSH connections in 40 s and 10 distinct internal hosts; sbx-b: 4 SSH connections (below the
    /// threshold) and 3 internal hosts, visited many times.
    /// </summary>
    internal static List<(long Sequence, string Json)> Workload()
    {
        var events = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            events.Add(CorrelationHarness.Connection(10 + (i * 5), "sbx-a", $"203.0.113.{i + 1}", 22));
        }

        for (var i = 0; i < 10; i++)
        {
            events.Add(CorrelationHarness.Connection(12 + (i * 3), "sbx-a", $"10.40.1.{i + 10}", 443));
        }

        for (var i = 0; i < 4; i++)
        {
            events.Add(CorrelationHarness.Connection(15 + (i * 7), "sbx-b", "198.51.100.7", 22));
        }

        for (var i = 0; i < 12; i++)
        {
            events.Add(CorrelationHarness.Connection(11 + (i * 2), "sbx-b", $"10.40.2.{i % 3}", 8080));
        }

        // Deterministically shuffled within the minute, so arrival order differs from event-time order.
        return events.Select((json, i) => (Sequence: (long)i, Json: json)).OrderBy(e => (e.Sequence * 7919) % 31).ToList();
    }

    /// <summary>Delivers the workload and returns (rule, sandbox, count, first, last) per correlation alert.</summary>
    internal static async Task<List<(string Rule, string Sandbox, long Count, DateTimeOffset First, DateTimeOffset Last)>> RunAsync(
        Delivery delivery, ICorrelationStateStore store)
    {
        var harness = new CorrelationHarness(Rules, store);
        var workload = Workload();
        switch (delivery)
        {
            case Delivery.OneBatch:
                await CorrelationHarness.SendAsync(harness.NewInstance(), "p0", workload);
                break;
            case Delivery.BatchPerEvent:
                var single = harness.NewInstance();
                foreach (var e in workload)
                {
                    await CorrelationHarness.SendAsync(single, "p0", [e]);
                }

                break;
            case Delivery.TwoInstances:
                // Two partitions owned by two instances, processed at the same time: both update sbx-a's groups.
                var first = harness.NewInstance();
                var second = harness.NewInstance();
                var even = workload.Where((_, i) => i % 2 == 0).ToList();
                var odd = workload.Where((_, i) => i % 2 == 1).ToList();
                await Task.WhenAll(
                    Task.Run(async () =>
                    {
                        foreach (var chunk in even.Chunk(3))
                        {
                            await CorrelationHarness.SendAsync(first, "p0", chunk);
                        }
                    }),
                    Task.Run(async () =>
                    {
                        foreach (var chunk in odd.Chunk(3))
                        {
                            await CorrelationHarness.SendAsync(second, "p1", chunk);
                        }
                    }));
                break;
            case Delivery.Restart:
                // The first instance dies after half the workload; its last batch is redelivered to the new one.
                var before = harness.NewInstance();
                var half = workload.Count / 2;
                foreach (var chunk in workload.Take(half).Chunk(4))
                {
                    await CorrelationHarness.SendAsync(before, "p0", chunk);
                }

                var after = harness.NewInstance();
                foreach (var chunk in workload.Skip(half - 4).Chunk(4))
                {
                    await CorrelationHarness.SendAsync(after, "p0", chunk);
                }

                break;
        }

        var alerts = await harness.Alerts.ListAsync(1000, CancellationToken.None);
        return alerts
            .Where(a => a.Evidence.ContainsKey("correlation.type"))
            .Select(a => (a.RuleId, a.SandboxId, a.EventCount, a.FirstSeen, a.LastSeen))
            .OrderBy(a => a.RuleId, StringComparer.Ordinal).ThenBy(a => a.SandboxId, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>What every delivery must produce.</summary>
    internal static void AssertExpected(List<(string Rule, string Sandbox, long Count, DateTimeOffset First, DateTimeOffset Last)> alerts)
    {
        Assert.Equal(
            [(CorrelationRules.BurstId, "sbx-a", 9L), (CorrelationRules.DiscoveryId, "sbx-a", 10L)],
            alerts.Select(a => (a.Rule, a.Sandbox, a.Count)).ToList());
        var burst = alerts[0];
        Assert.Equal(CorrelationHarness.T0.AddSeconds(10), burst.First);
        Assert.Equal(CorrelationHarness.T0.AddSeconds(50), burst.Last);
    }
}
