using System.Text;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Events;
using AlertPipeline.Core.Pipeline;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AlertPipeline.Adapters.Tests.Composition;

/// <summary>The composed pipeline asks the stored response policy, matched on the inventory's team, for each alert.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ResponsePolicyCompositionTests(AzuriteFixture azurite)
{
    private const string RuleId = "0d9e6c1a-3b2f-4e8a-9c71-5a4b3c2d1e0f";
    [Fact]
    public async Task Table_storage_selects_the_table_policy_store()
    {
        var services = new ServiceCollection().AddAlertPipeline(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageNames.Setting] = azurite.ConnectionString }).Build());
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });

        Assert.IsType<TableResponsePolicyStore>(provider.GetRequiredService<IResponsePolicyStore>());
    }

    [Fact]
    public async Task A_team_entry_asking_for_approval_holds_the_shutdown_of_that_teams_sandbox_only()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISandboxInventory>(new InMemorySandboxInventory(
        [
            new SandboxRecord { Id = "sbx-research", Team = "research", Environment = "prod" },
            new SandboxRecord { Id = "sbx-evals", Team = "evals", Environment = "prod" },
        ]));
        services.AddAlertPipeline(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Shutdown:SigningKey"] = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
            ["Shutdown:KeyId"] = "k1",
        }).Build());
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await provider.GetRequiredService<IRuleStore>().UpsertAsync(
            MinerRule.Record("composition", RuleId),
            CancellationToken.None);
        await provider.GetRequiredService<IResponsePolicyStore>().PutAsync(new ResponsePolicyEntry
        {
            Id = "research-critical", Level = "critical", Team = "research", Channels = ["shutdown"], Shutdown = "approval",
        }, CancellationToken.None);

        var result = await provider.GetRequiredService<TelemetryPipeline>().ProcessAsync([Miner("sbx-research", 1), Miner("sbx-evals", 2)], CancellationToken.None);

        var research = result.Alerts.Single(a => a.SandboxId == "sbx-research");
        var evals = result.Alerts.Single(a => a.SandboxId == "sbx-evals");
        // Only the entry's channel, and the approval request that the held command adds (no email or Teams here to carry it).
        Assert.Equal(["shutdown", "approval"], research.Actions.Select(a => a.Channel));
        var held = research.ActionFor("shutdown")!;
        Assert.Equal((ActionStatus.AwaitingApproval, "policy: shutdown needs a human's approval"), (held.Status, held.Detail));
        Assert.Equal(ActionStatus.Skipped, research.ActionFor("approval")!.Status);
        Assert.Equal(ActionStatus.Sent, evals.ActionFor("shutdown")!.Status);
        var (_, message) = Assert.Single(((InMemoryShutdownCommandQueue)provider.GetRequiredService<IShutdownCommandQueue>()).Messages);
        Assert.Equal("sbx-evals", provider.GetRequiredService<CommandSigner>().Verify(message, out _)!.SandboxId);
    }

    private static TelemetryMessage Miner(string sandboxId, long sequence)
    {
        var body = $$$"""{"@timestamp":"2025-11-14T03:14:51Z","event":{"category":"process","type":"start"},"sandbox":{"id":"{{{sandboxId}}}"},"process":{"name":"xmrig","pid":7}}""";
        return new TelemetryMessage(Encoding.UTF8.GetBytes(body), "sandbox-telemetry/0", sequence, DateTimeOffset.UnixEpoch);
    }
}
