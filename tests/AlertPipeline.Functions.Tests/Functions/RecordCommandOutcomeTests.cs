using System.Text.Json.Nodes;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Shutdown;
using AlertPipeline.Functions.Functions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AlertPipeline.Functions.Tests.Functions;

/// <summary>
/// The results-queue function through the app's own composition with a configured host key: a signed answer to the
/// issued command lands on the alert; a forged, unsigned or foreign one is refused and audited, the alert untouched.
/// </summary>
public sealed class RecordCommandOutcomeTests : IDisposable
{
    private const string HostKey = "aG9zdC1hLXJlc3VsdC1rZXktMDEyMzQ1Njc4OWFiY2Q=";

    private readonly ServiceProvider _services;
    private readonly RecordCommandOutcome _function;
    private readonly OutcomeSigner _host = new(new Dictionary<string, string> { ["host-a"] = HostKey }, "host-a");

    public RecordCommandOutcomeTests()
    {
        var settings = new Dictionary<string, string?> { ["Controller:ResultKeys:host-a"] = HostKey };
        var services = new ServiceCollection();
        FunctionsComposition.Configure(services, new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        _services = services.BuildServiceProvider();
        _function = new RecordCommandOutcome(_services.GetRequiredService<CommandOutcomeRecorder>(), NullLogger<RecordCommandOutcome>.Instance);
    }

    public void Dispose() => _services.Dispose();

    private async Task AddAlertAsync()
        => Assert.True(await _services.GetRequiredService<IAlertStore>().TryAddAsync(new Alert
        {
            AlertId = "a1", RuleId = "r1", RulePack = "p", Title = "Miner", Level = AlertLevel.Critical, SandboxId = "sbx-1",
            Actions = [new ActionRecord { Channel = "shutdown", Status = ActionStatus.Sent, Attempts = 1, CommandNonce = "n-issued" }],
        }, CancellationToken.None));

    private CommandOutcome Done() => new()
    {
        CommandId = ShutdownChannel.CommandIdFor("a1"), AlertId = "a1", SandboxId = "sbx-1", Action = "shutdown", Status = "done",
        Detail = "hook exit 0", At = new DateTimeOffset(2025, 11, 14, 3, 21, 0, TimeSpan.Zero), Nonce = "n-issued",
    };

    private async Task<string?> OutcomeAsync()
        => (await _services.GetRequiredService<IAlertStore>().GetAsync("a1", CancellationToken.None))!.ActionFor("shutdown")!.Outcome;

    [Fact]
    public async Task A_forged_message_is_refused_and_audited_and_the_signed_one_is_recorded()
    {
        await AddAlertAsync();
        var forged = JsonNode.Parse(_host.Sign(Done()).ToJson())!;
        forged["status"] = "failed";

        await _function.RunAsync(forged.ToJsonString(), CancellationToken.None);
        await _function.RunAsync(Done().ToJson(), CancellationToken.None);
        Assert.Null(await OutcomeAsync());

        await _function.RunAsync(_host.Sign(Done()).ToJson(), CancellationToken.None);
        Assert.StartsWith("done: hook exit 0", await OutcomeAsync(), StringComparison.Ordinal);

        var audit = await _services.GetRequiredService<IAuditLog>().ListByAlertAsync("a1", 10, CancellationToken.None);
        Assert.Equal(["done", "refused", "refused"], audit.Select(e => e.Outcome).Order(StringComparer.Ordinal));
        Assert.Contains(audit, e => e.Detail!.StartsWith("bad result signature;", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Detail!.StartsWith("unsigned result;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_message_that_is_not_an_outcome_is_dropped()
    {
        await AddAlertAsync();

        await _function.RunAsync("not json {", CancellationToken.None);

        Assert.Null(await OutcomeAsync());
        Assert.Empty(await _services.GetRequiredService<IAuditLog>().ListByAlertAsync("a1", 10, CancellationToken.None));
    }
}
