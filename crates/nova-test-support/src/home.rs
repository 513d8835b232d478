//! A home folder holding the AWS shared files a test writes, for the credential sources that
//! read `~/.aws`.

/// A fresh home folder with `.aws/credentials` and `.aws/config` holding the texts given (a
/// file is absent when its text is `None`); removed when dropped.
pub fn aws_home(credentials: Option<&str>, config: Option<&str>) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("a temporary folder");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect("the .aws folder");
    for (name, text) in [("credentials", credentials), ("config", config)] {
        if let Some(text) = text {
            std::fs::write(aws.join(name), text).expect("an AWS shared file");
        }
    }
    home
}
