using System.Runtime.CompilerServices;

// ILGPU's CPU accelerator emits its kernel launchers into a dynamic assembly named "ILGPURuntime"; they must be able
// to see the internal argument structs and scorers of the kernels.
[assembly: InternalsVisibleTo("ILGPURuntime")]
