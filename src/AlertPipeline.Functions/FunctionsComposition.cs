using AlertPipeline.Adapters;
using AlertPipeline.Functions.EventHubs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AlertPipeline.Functions;

/// <summary>
/// The Function app's services: the one pipeline composition plus the functions' shared batch processor.
/// Program.cs and the tests both call this, so the tests run exactly what the app runs.
/// </summary>
public static class FunctionsComposition
{
    /// <summary>Registers everything the functions need from <paramref name="configuration"/>.</summary>
    public static IServiceCollection Configure(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddAlertPipeline(configuration);
        // The worker host registers its IConfiguration already; a plain ServiceCollection (tests) gets this one.
        services.TryAddSingleton(configuration);
        services.TryAddSingleton<EventHubBatchProcessor>();
        return services;
    }
}
