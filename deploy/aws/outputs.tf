output "environment_url" {
  description = "Where the app answers."
  value       = aws_elastic_beanstalk_environment.env.endpoint_url
}

output "deploy_role_arn" {
  description = "Set as the repository variable AWS_DEPLOY_ROLE_ARN."
  value       = aws_iam_role.deploy.arn
}

output "versions_bucket" {
  description = "Set as the repository variable EB_BUCKET."
  value       = aws_s3_bucket.versions.bucket
}

output "eb_application" {
  description = "Set as the repository variable EB_APPLICATION."
  value       = aws_elastic_beanstalk_application.app.name
}

output "eb_environment" {
  description = "Set as the repository variable EB_ENVIRONMENT."
  value       = aws_elastic_beanstalk_environment.env.name
}
