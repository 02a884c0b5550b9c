/**
 * Types for asl-validator 4.0.0, which ships none (see its dist/src/validator.js and types.ts).
 * Note: the validator mutates the definition it is given (it adds `QueryLanguage` to every state),
 * so pass it a copy.
 */
declare module "asl-validator" {
  /** One problem found in a definition. */
  interface AslValidationError {
    "Error code": string;
    Message: string;
    schemaError?: { instancePath: string; schemaPath: string };
  }

  /** Checks to run besides the JSON schema. */
  interface AslValidatorOptions {
    /** Validate JSONPath/reference paths and intrinsic functions. @default true */
    readonly checkPaths: boolean;
    /** Validate the `Resource` ARN of Task states. @default true */
    readonly checkArn: boolean;
  }

  /** Validation outcome. */
  interface AslValidationResult {
    isValid: boolean;
    errors: AslValidationError[];
    errorsText: (separator?: string) => string;
  }

  /** Validates an Amazon States Language definition. */
  function aslValidator(definition: unknown, options?: AslValidatorOptions): AslValidationResult;

  export = aslValidator;
}
