#if INCLUDE_EVENTHUBS_HOST_EXTENSION
// Tells the Functions SDK to install the host's Event Hubs extension, which implements the eventHubTrigger binding.
// Only with -p:IncludeEventHubsHostExtension=true (deployment builds): the SDK restores this package at build time
// and it is not served to the development machines and CI. See AlertPipeline.Functions.csproj and docs/functions.md.
[assembly: Microsoft.Azure.Functions.Worker.Extensions.Abstractions.ExtensionInformation("Microsoft.Azure.WebJobs.Extensions.EventHubs", "6.5.3")]
#endif
