DROP INDEX follows_user_newest;
DROP INDEX followers_user_newest;
